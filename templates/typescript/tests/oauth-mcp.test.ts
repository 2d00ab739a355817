/**
 * What MCP clients (ChatGPT apps, Claude, the MCP Inspector) need of the authorization server
 * on top of the GPT Actions flow: discovery metadata, challenges that point at it, resource
 * binding, dynamic registration, client ID metadata documents, PKCE for public clients,
 * `offline_access`, and every way each must fail.
 */

import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";

import { Client, StreamableHTTPClientTransport, auth } from "@modelcontextprotocol/client";
import type {
  OAuthClientMetadata,
  OAuthClientProvider,
  StoredOAuthClientInformation,
  StoredOAuthTokens,
} from "@modelcontextprotocol/client";

import type { Plugin } from "../src/app.js";
import {
  ClientDocumentError,
  ClientDocuments,
  FETCH_TIMEOUT_MS,
  MAX_DOCUMENT_BYTES,
  forbiddenAddress,
} from "../src/oauth/client-metadata.js";
import { escapeHtml } from "../src/oauth/page.js";
import { MAX_REDIRECT_URIS, MAX_REGISTRATION_BYTES } from "../src/oauth/registration.js";
import { MAX_CLIENTS } from "../src/oauth/store.js";
import {
  CHALLENGE,
  CLIENT_REDIRECT,
  ISSUER,
  MCP_RESOURCE,
  SCOPE,
  STATE,
  Server,
  VERIFIER,
  approve,
  assertOAuthError,
  assertPage,
  authorization,
  code,
  exchange,
  list,
  paramsAt,
  postForm,
  publicAuthorization,
  publicCode,
  publicExchange,
  redirectParams,
  refreshWith,
  registerPublic,
  runSql,
  storedRows,
  storedText,
  tokenJson,
  tokensOf,
} from "./oauth-support.js";
import type { PublicClient } from "./oauth-support.js";
import { assertError, send } from "./support.js";
import type { Reply } from "./support.js";

/** The scopes every route needs (the manifest's). */
const NEEDED = SCOPE;
/** `scopes_supported`: the plugin's, then `offline_access`. */
const SUPPORTED = [...(SCOPE === "" ? [] : SCOPE.split(" ")), "offline_access"];
const METADATA_URL = `${ISSUER}/.well-known/oauth-protected-resource/mcp`;

/** `tools/list` on `/mcp` with this access token. */
function mcp(app: Plugin, token: string | undefined): Promise<Reply> {
  return send(app, "POST", "/mcp", {
    token,
    body: { jsonrpc: "2.0", id: 1, method: "tools/list", params: {} },
    headers: {
      accept: "application/json, text/event-stream",
      "mcp-protocol-version": "2025-11-25",
    },
  });
}

/** Registers a client with `metadata`; the reply. */
function register(app: Plugin, metadata: unknown): Promise<Reply> {
  return send(app, "POST", "/oauth/register", { body: metadata });
}

/** An access token for alice, issued to the pre-registered client with `extra` parameters. */
async function accessToken(app: Plugin, extra: Record<string, string> = {}): Promise<string> {
  const issued = await code(app, extra);
  return tokensOf(await tokenJson(app, exchange(issued))).access_token;
}

test("the protected resource metadata names the MCP endpoint and the issuer", async () => {
  const { app } = await Server.start();
  for (const path of [
    "/.well-known/oauth-protected-resource/mcp",
    "/.well-known/oauth-protected-resource",
  ]) {
    const reply = await send(app, "GET", path, { headers: { origin: "https://chatgpt.com" } });
    assert.equal(reply.status, 200, path);
    assert.equal(reply.headers.get("content-type"), "application/json");
    assert.equal(reply.headers.get("access-control-allow-origin"), "https://chatgpt.com");
    assert.equal(
      reply.text,
      JSON.stringify({
        resource: MCP_RESOURCE,
        authorization_servers: [ISSUER],
        scopes_supported: SUPPORTED,
        bearer_methods_supported: ["header"],
        resource_name: app.documents.nameForHuman,
      }),
    );
    const post = await send(app, "POST", path, { body: {} });
    assertError(post, 405);
    assert.equal(post.headers.get("allow"), "GET,HEAD");
  }
});

test("the authorization server metadata lists every endpoint and feature", async () => {
  const { app } = await Server.start();
  const reply = await send(app, "GET", "/.well-known/oauth-authorization-server");
  assert.equal(reply.status, 200);
  assert.equal(reply.headers.get("content-type"), "application/json");
  assert.equal(
    reply.text,
    JSON.stringify({
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}/oauth/authorize`,
      token_endpoint: `${ISSUER}/oauth/token`,
      registration_endpoint: `${ISSUER}/oauth/register`,
      scopes_supported: SUPPORTED,
      response_types_supported: ["code"],
      response_modes_supported: ["query"],
      grant_types_supported: ["authorization_code", "refresh_token"],
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "none"],
      code_challenge_methods_supported: ["S256"],
      client_id_metadata_document_supported: true,
      authorization_response_iss_parameter_supported: true,
    }),
  );
  const head = await send(app, "HEAD", "/.well-known/oauth-authorization-server");
  assert.equal(head.status, 200);
  assertError(await send(app, "DELETE", "/.well-known/oauth-authorization-server"), 405);
});

test("the issuer is PUBLIC_URL in canonical form", async () => {
  const { app } = await Server.start(undefined, { publicUrl: "https://todo.example.com" });
  const body = (await send(app, "GET", "/.well-known/oauth-authorization-server")).json();
  assert.equal((body as Record<string, unknown>)["issuer"], ISSUER);
});

test("/mcp without a valid token is a 401 that points at the resource metadata", async () => {
  const { app } = await Server.start();
  const realm = app.documents.nameForModel;
  const scope = NEEDED === "" ? "" : `, scope="${NEEDED}"`;
  const tail = `, resource_metadata="${METADATA_URL}"${scope}`;
  const cases: Array<[string | undefined, string, string]> = [
    [undefined, `Bearer realm="${realm}"${tail}`, "missing credentials"],
    ["", `Bearer realm="${realm}", error="invalid_request"${tail}`, "the Authorization header"],
    [
      "not-a-token",
      `Bearer realm="${realm}", error="invalid_token"${tail}`,
      "the bearer token is not valid",
    ],
  ];
  for (const [token, challenge, message] of cases) {
    const headers: Record<string, string> = token === "" ? { authorization: "Basic abc" } : {};
    const reply = await send(app, "POST", "/mcp", {
      token: token === "" ? undefined : token,
      body: { jsonrpc: "2.0", id: 1, method: "tools/list", params: {} },
      headers: { accept: "application/json, text/event-stream", ...headers },
    });
    assertError(reply, 401);
    assert.equal(reply.headers.get("www-authenticate"), challenge);
    assert.ok((reply.json() as { error: string }).error.startsWith(message), reply.text);
  }
  // The REST API's challenge stays as it was.
  const rest = await send(app, "GET", "/todos");
  assert.equal(rest.headers.get("www-authenticate"), `Bearer realm="${realm}"`);
});

test("a token without the plugin's scope is a 403 insufficient_scope", async (t) => {
  if (NEEDED === "") {
    t.skip("the plugin needs no scope");
    return;
  }
  const { app } = await Server.start();
  const token = await accessToken(app, { scope: "offline_access" });
  const realm = app.documents.nameForModel;
  const message = `the token was not granted the scope this plugin needs: ${NEEDED}`;
  const onMcp = await mcp(app, token);
  assertError(onMcp, 403);
  assert.deepEqual(onMcp.json(), { error: message });
  assert.equal(
    onMcp.headers.get("www-authenticate"),
    `Bearer realm="${realm}", error="insufficient_scope", resource_metadata="${METADATA_URL}", scope="${NEEDED}"`,
  );
  const onApi = await list(app, token);
  assertError(onApi, 403);
  assert.deepEqual(onApi.json(), { error: message });
  assert.equal(
    onApi.headers.get("www-authenticate"),
    `Bearer realm="${realm}", error="insufficient_scope", scope="${NEEDED}"`,
  );
});

test("a token is bound to the resource it was asked for", async () => {
  const { app } = await Server.start();
  const realm = app.documents.nameForModel;
  const forMcp = await accessToken(app, { resource: MCP_RESOURCE });
  assert.equal((await mcp(app, forMcp)).status, 200);
  const refused = await list(app, forMcp);
  assertError(refused, 401);
  assert.deepEqual(refused.json(), { error: "the bearer token was issued for another resource" });
  assert.equal(
    refused.headers.get("www-authenticate"),
    `Bearer realm="${realm}", error="invalid_token"`,
  );

  // The API's identifier is the issuer; the URL parser's reading is compared.
  const forApi = await accessToken(app, { resource: "HTTPS://Todo.Example.com/" });
  assert.equal((await list(app, forApi)).status, 200);
  const onMcp = await mcp(app, forApi);
  assertError(onMcp, 401);
  assert.deepEqual(onMcp.json(), { error: "the bearer token was issued for another resource" });
  assert.match(
    onMcp.headers.get("www-authenticate") ?? "",
    /error="invalid_token", resource_metadata=/,
  );

  // Without `resource` (GPT Actions, older clients): both.
  const unbound = await accessToken(app);
  assert.equal((await list(app, unbound)).status, 200);
  assert.equal((await mcp(app, unbound)).status, 200);
});

test("an unknown resource is invalid_target at authorize and at the token endpoint", async () => {
  const { app } = await Server.start();
  for (const resource of [
    "https://other.example.com/mcp",
    `${ISSUER}/mcp/more`,
    `${MCP_RESOURCE}?x=1`,
    `${MCP_RESOURCE}#f`,
    "not a url",
  ]) {
    const reply = await send(app, "GET", `/oauth/authorize?${authorization({ resource })}`);
    const params = redirectParams(reply);
    assert.equal(params.get("error"), "invalid_target", resource);
    assert.deepEqual([...params.keys()], ["error", "error_description", "state", "iss"]);
  }
  // Given twice: invalid_request, as every repeated parameter but the client and redirect URI.
  const twice = `${authorization({ resource: MCP_RESOURCE })}&resource=${encodeURIComponent(ISSUER)}`;
  const repeated = redirectParams(await send(app, "GET", `/oauth/authorize?${twice}`));
  assert.equal(repeated.get("error"), "invalid_request");
  assert.deepEqual([...repeated.keys()], ["error", "error_description", "state", "iss"]);

  // At the token endpoint: a code bound to /mcp cannot be exchanged for the API.
  const bound = await code(app, { resource: MCP_RESOURCE });
  assertOAuthError(
    await tokenJson(app, { ...exchange(bound), resource: ISSUER }),
    400,
    "invalid_target",
  );
  // The same resource again is fine; so is leaving it out.
  const same = await code(app, { resource: MCP_RESOURCE });
  const tokens = tokensOf(await tokenJson(app, { ...exchange(same), resource: MCP_RESOURCE }));
  assert.equal((await mcp(app, tokens.access_token)).status, 200);
  assertError(await list(app, tokens.access_token), 401);
  // A code without one binds the tokens to the one named at the token endpoint.
  const free = await code(app);
  assertOAuthError(
    await tokenJson(app, { ...exchange(free), resource: "https://other.example.com" }),
    400,
    "invalid_target",
  );
  const late = await code(app);
  const lateTokens = tokensOf(await tokenJson(app, { ...exchange(late), resource: MCP_RESOURCE }));
  assertError(await list(app, lateTokens.access_token), 401);
  // A refresh keeps the binding; another resource is invalid_target.
  assertOAuthError(
    await tokenJson(app, refreshWith(tokens.refresh_token, { resource: ISSUER })),
    400,
    "invalid_target",
  );
  const refreshed = tokensOf(await tokenJson(app, refreshWith(tokens.refresh_token)));
  assert.equal((await mcp(app, refreshed.access_token)).status, 200);
  assertError(await list(app, refreshed.access_token), 401);
});

test("a registered public client completes the flow with PKCE and offline_access", async () => {
  const server = await Server.start();
  const { app } = server;
  const reply = await register(app, {
    redirect_uris: [CLIENT_REDIRECT, "http://127.0.0.1:6276/oauth/callback"],
    token_endpoint_auth_method: "none",
    grant_types: ["authorization_code", "refresh_token"],
    application_type: "native",
    client_name: "Inspector",
    scope: SUPPORTED.join(" "),
    client_uri: "https://ignored.example",
    unknown_field: 1,
  });
  assert.equal(reply.status, 201, reply.text);
  assert.equal(reply.headers.get("cache-control"), "no-store");
  const body = reply.json() as Record<string, unknown>;
  assert.deepEqual(Object.keys(body), [
    "client_id",
    "client_id_issued_at",
    "client_name",
    "redirect_uris",
    "grant_types",
    "response_types",
    "token_endpoint_auth_method",
    "application_type",
    "scope",
  ]);
  assert.match(String(body["client_id"]), /^mcp-[A-Za-z0-9_-]{32}$/);
  assert.equal(body["client_id_issued_at"], server.now);
  assert.deepEqual(body["response_types"], ["code"]);
  assert.equal(body["scope"], SUPPORTED.join(" "));
  const client: PublicClient = {
    clientId: String(body["client_id"]),
    redirectUri: "http://127.0.0.1:6276/oauth/callback",
  };

  const approved = await approve(
    app,
    publicAuthorization(client, { scope: SUPPORTED.join(" "), resource: MCP_RESOURCE }),
  );
  const params = paramsAt(approved, client.redirectUri);
  assert.deepEqual([...params.keys()], ["code", "state", "iss"]);
  assert.equal(params.get("iss"), ISSUER);
  assert.equal(params.get("state"), STATE);
  const tokens = tokensOf(
    await tokenJson(
      app,
      publicExchange(client, params.get("code") ?? "", { resource: MCP_RESOURCE }),
    ),
  );
  assert.equal(tokens.scope, SUPPORTED.join(" "));
  assert.equal((await mcp(app, tokens.access_token)).status, 200);
  // offline_access: a refresh token, rotated on use, with the client id alone.
  const refresh = {
    grant_type: "refresh_token",
    refresh_token: tokens.refresh_token,
    client_id: client.clientId,
  };
  const refreshed = tokensOf(await tokenJson(app, refresh));
  assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
  assert.equal(refreshed.scope, SUPPORTED.join(" "));
  assert.equal((await mcp(app, refreshed.access_token)).status, 200);
  assertOAuthError(await tokenJson(app, refresh), 400, "invalid_grant");
  assertError(await mcp(app, refreshed.access_token), 401);
});

test("without offline_access a registered client gets no refresh token", async () => {
  const { app } = await Server.start();
  const client = await registerPublic(app);
  const issued = await publicCode(app, client);
  const tokens = tokensOf(await tokenJson(app, publicExchange(client, issued)));
  assert.deepEqual(Object.keys(tokens), ["access_token", "token_type", "expires_in", "scope"]);
  assert.equal(tokens.scope, SCOPE);
  // The pre-registered client (GPT Actions) still gets one, as before.
  const gpt = tokensOf(await tokenJson(app, exchange(await code(app))));
  assert.equal(typeof gpt.refresh_token, "string");
});

test("a public client must use PKCE and must not send a secret", async () => {
  const { app } = await Server.start();
  const client = await registerPublic(app);
  const withoutPkce = publicAuthorization(client, {
    code_challenge: "",
    code_challenge_method: "",
  });
  const params = paramsAt(
    await send(app, "GET", `/oauth/authorize?${withoutPkce}`),
    client.redirectUri,
  );
  assert.equal(params.get("error"), "invalid_request");
  assert.equal(params.get("iss"), ISSUER);
  const plain = publicAuthorization(client, { code_challenge_method: "plain" });
  const plainParams = paramsAt(
    await send(app, "GET", `/oauth/authorize?${plain}`),
    client.redirectUri,
  );
  assert.equal(plainParams.get("error"), "invalid_request");

  const issued = await publicCode(app, client);
  // A secret from a public client.
  assertOAuthError(
    await tokenJson(app, { ...publicExchange(client, issued), client_secret: "guess" }),
    401,
    "invalid_client",
  );
  // No verifier for a code issued with a challenge.
  const noVerifier = publicExchange(client, await publicCode(app, client));
  delete (noVerifier as Record<string, string | undefined>)["code_verifier"];
  assertOAuthError(await tokenJson(app, noVerifier), 400, "invalid_grant");
  // An unknown client id alone is not a client.
  assertOAuthError(
    await tokenJson(app, { ...publicExchange(client, issued), client_id: "mcp-unknown" }),
    401,
    "invalid_client",
  );
  // The pre-registered client cannot skip its secret.
  assertOAuthError(
    await tokenJson(app, { ...exchange(await code(app)), client_secret: undefined }),
    401,
    "invalid_client",
  );
  // A code is bound to the client it was issued to.
  const other = await registerPublic(app);
  const stolen = await publicCode(app, client);
  assertOAuthError(
    await tokenJson(app, { ...publicExchange(client, stolen), client_id: other.clientId }),
    400,
    "invalid_grant",
  );
});

test("a registered confidential client authenticates with its secret", async () => {
  const server = await Server.start();
  const { app } = server;
  const reply = await register(app, { redirect_uris: [CLIENT_REDIRECT], client_name: "Web app" });
  assert.equal(reply.status, 201, reply.text);
  const body = reply.json() as Record<string, unknown>;
  assert.deepEqual(Object.keys(body), [
    "client_id",
    "client_id_issued_at",
    "client_secret",
    "client_secret_expires_at",
    "client_name",
    "redirect_uris",
    "grant_types",
    "response_types",
    "token_endpoint_auth_method",
    "application_type",
  ]);
  assert.equal(body["token_endpoint_auth_method"], "client_secret_basic");
  assert.deepEqual(body["grant_types"], ["authorization_code"]);
  assert.equal(body["application_type"], "web");
  assert.equal(body["client_secret_expires_at"], 0);
  const clientId = String(body["client_id"]);
  const secret = String(body["client_secret"]);
  // PKCE is optional for it, as for the pre-registered client.
  const approved = await approve(
    app,
    authorization({ client_id: clientId, redirect_uri: CLIENT_REDIRECT }),
  );
  const issued = paramsAt(approved, CLIENT_REDIRECT).get("code") ?? "";
  const form = `grant_type=authorization_code&code=${issued}&redirect_uri=${encodeURIComponent(CLIENT_REDIRECT)}`;
  assertOAuthError(
    await postForm(app, "/oauth/token", form, [clientId, "wrong"]),
    401,
    "invalid_client",
  );
  const approvedAgain = await approve(
    app,
    authorization({ client_id: clientId, redirect_uri: CLIENT_REDIRECT }),
  );
  const again = paramsAt(approvedAgain, CLIENT_REDIRECT).get("code") ?? "";
  const againForm = form.replace(issued, again);
  const tokens = tokensOf(await postForm(app, "/oauth/token", againForm, [clientId, secret]));
  assert.equal((await list(app, tokens.access_token)).status, 200);
  // Its secret is stored hashed.
  assert.ok(!(await storedText(server.data)).includes(secret));
});

test("registrations survive a restart and are stored without their secret", async () => {
  const first = await Server.start();
  const client = await registerPublic(first.app, { client_name: "Survivor" });
  const confidential = (await register(first.app, { redirect_uris: [CLIENT_REDIRECT] })).json() as {
    client_id: string;
    client_secret: string;
  };
  const text = await storedText(first.data);
  assert.ok(!text.includes(confidential.client_secret), "the secret is stored hashed");
  assert.ok(text.includes(confidential.client_id), text);
  await first.app.close();
  const restarted = await Server.start(first.data);
  const page = await send(restarted.app, "GET", `/oauth/authorize?${publicAuthorization(client)}`);
  assertPage(page, 200);
  assert.ok(page.text.includes("Survivor asks"), page.text);
  const issued = await publicCode(restarted.app, client);
  assert.equal(
    tokensOf(await tokenJson(restarted.app, publicExchange(client, issued))).token_type,
    "bearer",
  );
});

test("registration refuses bad redirect URIs", async () => {
  const { app } = await Server.start();
  const cases: unknown[] = [
    [],
    ["http://client.example.org/callback"],
    ["https://client.example.org/callback#fragment"],
    ["https://user:pass@client.example.org/callback"],
    ["ftp://client.example.org/callback"],
    ["/relative"],
    [`https://client.example.org/${"a".repeat(2000)}`],
    [42],
    Array.from({ length: MAX_REDIRECT_URIS + 1 }, (_, i) => `https://client.example.org/${i}`),
    "https://client.example.org/callback",
  ];
  for (const uris of cases) {
    const reply = await register(app, { redirect_uris: uris });
    assertOAuthError(reply, 400, "invalid_redirect_uri");
  }
  assertOAuthError(await register(app, { client_name: "no URIs" }), 400, "invalid_redirect_uri");
  // Ten are fine.
  const ten = Array.from(
    { length: MAX_REDIRECT_URIS },
    (_, i) => `https://client.example.org/${i}`,
  );
  assert.equal((await register(app, { redirect_uris: ten })).status, 201);
});

test("registration refuses metadata of the wrong type or value", async () => {
  const { app } = await Server.start();
  const uris = [CLIENT_REDIRECT];
  const cases: unknown[] = [
    { redirect_uris: uris, token_endpoint_auth_method: "private_key_jwt" },
    { redirect_uris: uris, grant_types: ["implicit"] },
    { redirect_uris: uris, grant_types: "authorization_code" },
    { redirect_uris: uris, response_types: ["token"] },
    { redirect_uris: uris, application_type: "desktop" },
    { redirect_uris: uris, client_name: 7 },
    { redirect_uris: uris, client_name: "n".repeat(201) },
    { redirect_uris: uris, scope: "admin" },
    { redirect_uris: uris, scope: ["todos"] },
  ];
  for (const metadata of cases) {
    assertOAuthError(await register(app, metadata), 400, "invalid_client_metadata");
  }
  for (const raw of ["not json", "[]", '"text"', "null"]) {
    const reply = await send(app, "POST", "/oauth/register", { body: raw });
    assertOAuthError(reply, 400, "invalid_client_metadata");
  }
});

test("registration refuses a body over 16 KiB", async () => {
  const { app } = await Server.start();
  const padding = "x".repeat(MAX_REGISTRATION_BYTES);
  const reply = await register(app, { redirect_uris: [CLIENT_REDIRECT], padding });
  assertError(reply, 413);
});

test("registration stops at 1000 clients", async () => {
  const server = await Server.start();
  // Count a thousand clients directly: a thousand requests would only be slower.
  await runSql(server.data, `INSERT INTO quotas (key, used) VALUES ('oauth:clients', ${MAX_CLIENTS})`);
  const reply = await register(server.app, { redirect_uris: [CLIENT_REDIRECT] });
  assertOAuthError(reply, 400, "invalid_client_metadata");
  assert.match((reply.json() as { error_description: string }).error_description, /full/);
  assert.deepEqual(await storedRows(server.data, "oauth_clients"), []);
  // One fewer leaves room for one more.
  await runSql(server.data, `UPDATE quotas SET used = ${MAX_CLIENTS - 1}`);
  assert.equal((await register(server.app, { redirect_uris: [CLIENT_REDIRECT] })).status, 201);
  assertOAuthError(await register(server.app, { redirect_uris: [CLIENT_REDIRECT] }), 400, "invalid_client_metadata");
});

test("a registered client may only use its own redirect URIs and scope", async () => {
  const { app } = await Server.start();
  const client = await registerPublic(app, { scope: "offline_access" });
  for (const redirect of [
    "https://client.example.org/other",
    `${CLIENT_REDIRECT}/`,
    "https://chatgpt.com/connector_platform_oauth_redirect",
  ]) {
    const query = publicAuthorization({ ...client, redirectUri: redirect });
    assertPage(await send(app, "GET", `/oauth/authorize?${query}`), 400);
  }
  if (SCOPE !== "") {
    const query = publicAuthorization(client, { scope: SCOPE });
    const params = paramsAt(
      await send(app, "GET", `/oauth/authorize?${query}`),
      client.redirectUri,
    );
    assert.equal(params.get("error"), "invalid_scope");
  }
  // Without `scope`, it gets what it registered.
  const issued = await publicCode(app, client, { scope: "" });
  const tokens = tokensOf(await tokenJson(app, publicExchange(client, issued)));
  assert.equal(tokens.scope, "offline_access");
  // An unknown client id is a page, never a redirect.
  const unknown = publicAuthorization({ ...client, clientId: "mcp-unknown" });
  assertPage(await send(app, "GET", `/oauth/authorize?${unknown}`), 400);
});

test("the consent page shows who asks and where the user goes back, escaped", async () => {
  const { app } = await Server.start();
  const client = await registerPublic(app, {
    client_name: '<b>Evil & "Co"</b>',
    redirect_uris: ["https://x.example<b>/callback"].filter(() => false).concat(CLIENT_REDIRECT),
  });
  const page = await send(app, "GET", `/oauth/authorize?${publicAuthorization(client)}`);
  assertPage(page, 200);
  assert.ok(page.text.includes(`${escapeHtml('<b>Evil & "Co"</b>')} asks`), page.text);
  assert.ok(!page.text.includes("<b>Evil"), page.text);
  assert.ok(page.text.includes("You will be sent back to client.example.org."), page.text);
  // The pre-registered client is named as such.
  const own = await send(app, "GET", `/oauth/authorize?${authorization()}`);
  assert.ok(own.text.includes("the pre-registered client (OAUTH_CLIENT_ID) asks"), own.text);
  // Without a name: the client id.
  const nameless = await registerPublic(app, { client_name: undefined });
  const third = await send(app, "GET", `/oauth/authorize?${publicAuthorization(nameless)}`);
  assert.ok(third.text.includes(`${nameless.clientId} asks`), third.text);
});

test("the pre-registered client may use ChatGPT's and Claude's callbacks", async () => {
  const { app } = await Server.start();
  for (const redirect of [
    "https://chatgpt.com/connector_platform_oauth_redirect",
    "https://chatgpt.com/connector/oauth/abc_DEF-123",
    "https://chat.openai.com/aip/g-123/oauth/callback",
    "https://claude.ai/api/mcp/auth_callback",
    "https://claude.com/api/mcp/auth_callback",
    "http://localhost:6274/oauth/callback",
  ]) {
    const reply = await approve(app, authorization({ redirect_uri: redirect }));
    const params = paramsAt(reply, redirect);
    assert.deepEqual([...params.keys()], ["code", "state", "iss"], redirect);
    const issued = params.get("code") ?? "";
    const tokens = tokensOf(await tokenJson(app, { ...exchange(issued), redirect_uri: redirect }));
    assert.equal((await list(app, tokens.access_token)).status, 200);
  }
  for (const redirect of [
    "https://chatgpt.com/connector_platform_oauth_redirect/x",
    "https://chatgpt.com/connector/oauth/",
    "https://chatgpt.com/connector/oauth/a/b",
    "https://chat.openai.com/connector/oauth/abc",
    "https://claude.ai/api/mcp/auth_callback?x=1",
    "https://claude.ai:444/api/mcp/auth_callback",
    "http://claude.ai/api/mcp/auth_callback",
    "https://evil.claude.ai/api/mcp/auth_callback",
  ]) {
    assertPage(
      await send(app, "GET", `/oauth/authorize?${authorization({ redirect_uri: redirect })}`),
      400,
    );
  }
});

/** A loopback server for client metadata documents; `documents` maps a path to its answer. */
class DocumentServer {
  requests = 0;
  readonly #server: HttpServer;
  readonly answers = new Map<
    string,
    { status?: number; headers?: Record<string, string>; body: string | ((url: string) => string) }
  >();

  constructor() {
    this.#server = createServer((request: IncomingMessage, response: ServerResponse) => {
      this.requests += 1;
      const found = this.answers.get(request.url ?? "");
      if (found === undefined) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(found.status ?? 200, {
        "content-type": "application/json",
        ...found.headers,
      });
      response.end(
        typeof found.body === "string" ? found.body : found.body(this.url(request.url ?? "")),
      );
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, "127.0.0.1", resolve));
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}${path}`;
  }

  /** Serves a valid document for the client id `path`. */
  document(
    path: string,
    fields: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ): string {
    const url = this.url(path);
    this.answers.set(path, {
      headers,
      body: JSON.stringify({
        client_id: url,
        client_name: "Doc Client",
        redirect_uris: [CLIENT_REDIRECT],
        token_endpoint_auth_method: "none",
        ...fields,
      }),
    });
    return url;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}

/** A server whose client metadata documents may be on loopback. */
function loopbackServer(): Promise<Server> {
  return Server.start(undefined, { oauthAllowLoopbackClientIds: true });
}

/** The authorization request of the client metadata document client `url`. */
function documentAuthorization(url: string, extra: Record<string, string> = {}): string {
  return publicAuthorization({ clientId: url, redirectUri: CLIENT_REDIRECT }, extra);
}

/** The error page's text for the authorization request `query`. */
async function refusedPage(app: Plugin, query: string): Promise<string> {
  const reply = await send(app, "GET", `/oauth/authorize?${query}`);
  assertPage(reply, 400);
  return reply.text;
}

test("a client metadata document client completes the flow", async () => {
  const documents = await new DocumentServer().start();
  try {
    const { app } = await loopbackServer();
    const url = documents.document("/client.json");
    const page = await send(app, "GET", `/oauth/authorize?${documentAuthorization(url)}`);
    assertPage(page, 200);
    assert.ok(page.text.includes("Doc Client asks"), page.text);
    const client = { clientId: url, redirectUri: CLIENT_REDIRECT };
    const issued = await publicCode(app, client, { resource: MCP_RESOURCE });
    const tokens = tokensOf(await tokenJson(app, publicExchange(client, issued)));
    assert.equal((await mcp(app, tokens.access_token)).status, 200);
    // It is a public client: PKCE is required, a secret refused.
    const withoutPkce = documentAuthorization(url, {
      code_challenge: "",
      code_challenge_method: "",
    });
    const params = paramsAt(
      await send(app, "GET", `/oauth/authorize?${withoutPkce}`),
      CLIENT_REDIRECT,
    );
    assert.equal(params.get("error"), "invalid_request");
    const again = await publicCode(app, client);
    assertOAuthError(
      await tokenJson(app, { ...publicExchange(client, again), client_secret: "x" }),
      401,
      "invalid_client",
    );
  } finally {
    await documents.stop();
  }
});

test("a client metadata document that does not fit is refused with a page naming it", async () => {
  const documents = await new DocumentServer().start();
  try {
    const { app } = await loopbackServer();
    const mismatch = documents.url("/mismatch.json");
    documents.answers.set("/mismatch.json", {
      body: JSON.stringify({
        client_id: "https://other.example/client.json",
        redirect_uris: [CLIENT_REDIRECT],
      }),
    });
    const cases: Array<[string, string]> = [
      [mismatch, "client_id must be the document's URL"],
      [documents.document("/no-uris.json", { redirect_uris: [] }), "redirect_uris"],
      [
        documents.document("/secret.json", { token_endpoint_auth_method: "client_secret_basic" }),
        "none",
      ],
      [documents.url("/missing.json"), "status 404"],
    ];
    documents.answers.set("/redirect.json", {
      status: 302,
      headers: { location: documents.url("/client.json") },
      body: "",
    });
    cases.push([documents.url("/redirect.json"), "redirect (302)"]);
    documents.answers.set("/big.json", {
      body: JSON.stringify({ client_id: "x", pad: "x".repeat(MAX_DOCUMENT_BYTES) }),
    });
    cases.push([documents.url("/big.json"), "larger than 16 KiB"]);
    documents.answers.set("/text.json", { body: "not json" });
    cases.push([documents.url("/text.json"), "not JSON"]);
    documents.answers.set("/array.json", { body: "[]" });
    cases.push([documents.url("/array.json"), "not a JSON object"]);
    for (const [url, why] of cases) {
      const text = await refusedPage(app, documentAuthorization(url));
      assert.ok(text.includes(escapeHtml(url)), text);
      assert.ok(text.includes(escapeHtml(why)), `${why} in ${text}`);
    }
    // A redirect URI the document does not list.
    const listed = documents.document("/client.json");
    const text = await refusedPage(
      app,
      documentAuthorization(listed, { redirect_uri: "https://client.example.org/elsewhere" }),
    );
    assert.ok(text.includes("Redirect URI not allowed"), text);
  } finally {
    await documents.stop();
  }
});

test("a metadata document host is resolved once, and the checked address is the one used", async () => {
  const documents = await new DocumentServer().start();
  try {
    const lookups: string[] = [];
    const server = await Server.start(undefined, { oauthAllowLoopbackClientIds: true }, async (host) => {
      lookups.push(host);
      return [{ address: "127.0.0.1", family: 4 }];
    });
    const path = "/named.json";
    const url = documents.url(path).replace("127.0.0.1", "localhost");
    documents.answers.set(path, {
      body: JSON.stringify({
        client_id: url,
        client_name: "Named",
        redirect_uris: [CLIENT_REDIRECT],
      }),
    });
    const page = await send(server.app, "GET", `/oauth/authorize?${documentAuthorization(url)}`);
    assertPage(page, 200);
    assert.ok(page.text.includes("Named asks"), page.text);
    assert.deepEqual(lookups, ["localhost"]);
    assert.equal(documents.requests, 1);
  } finally {
    await documents.stop();
  }
});

test("client metadata documents on private or loopback addresses are never fetched", async () => {
  const documents = await new DocumentServer().start();
  try {
    const url = documents.document("/client.json");
    // The setting is off by default: a loopback URL is not even a metadata document URL over
    // http, and over https its address is refused before connecting.
    const { app } = await Server.start();
    await refusedPage(app, documentAuthorization(url));
    const https = url.replace("http://", "https://");
    assert.ok((await refusedPage(app, documentAuthorization(https))).includes("loopback address"));
    for (const address of [
      "https://10.0.0.1/x",
      "https://192.168.1.1/client.json",
      "https://[fe80::1]/x",
      "https://169.254.169.254/latest",
    ]) {
      assert.ok(
        (await refusedPage(app, documentAuthorization(address))).includes("private address"),
        address,
      );
    }
    // A name that resolves to a private address: refused, whatever its other addresses.
    const resolved = await Server.start(undefined, {}, async () => [
      { address: "93.184.215.14", family: 4 },
      { address: "10.1.2.3", family: 4 },
    ]);
    const named = await refusedPage(
      resolved.app,
      documentAuthorization("https://client.example/doc.json"),
    );
    assert.ok(named.includes("private address"), named);
    assert.equal(documents.requests, 0, "nothing was fetched");
  } finally {
    await documents.stop();
  }
});

test("a metadata document fetch that takes too long fails", async () => {
  // A server that accepts the connection and never answers.
  const silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  try {
    const port = (silent.address() as AddressInfo).port;
    const url = `http://127.0.0.1:${port}/slow.json`;
    const documents = new ClientDocuments(true, undefined, 200);
    const started = Date.now();
    await assert.rejects(documents.get(url, 0), (error: unknown) => {
      assert.ok(error instanceof ClientDocumentError);
      assert.equal(
        error.message,
        `the client metadata document at ${url} could not be fetched: it took longer than 0.2 seconds`,
      );
      return true;
    });
    assert.ok(Date.now() - started < FETCH_TIMEOUT_MS, "the limit, not a default, ended it");
  } finally {
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
  }
});

test("the address checks refuse every non-public range", () => {
  for (const address of [
    "10.0.0.1",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.0.1",
    "100.64.0.1",
    "169.254.169.254",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "::",
    "fc00::1",
    "fd12::1",
    "fe80::1",
    "ff02::1",
    "::ffff:10.0.0.1",
    "::ffff:a00:1",
  ]) {
    assert.equal(forbiddenAddress(address, true), "it resolves to a private address", address);
  }
  for (const address of ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"]) {
    assert.equal(forbiddenAddress(address, false), "it resolves to a loopback address", address);
    assert.equal(forbiddenAddress(address, true), undefined, address);
  }
  for (const address of ["93.184.215.14", "172.32.0.1", "2606:4700::1"]) {
    assert.equal(forbiddenAddress(address, false), undefined, address);
  }
});

test("client metadata documents are cached as their Cache-Control allows", async () => {
  const documents = await new DocumentServer().start();
  try {
    const server = await loopbackServer();
    const { app } = server;
    const cached = documents.document(
      "/cached.json",
      {},
      { "cache-control": "public, max-age=60" },
    );
    await refusedOrPage(app, cached);
    await refusedOrPage(app, cached);
    assert.equal(documents.requests, 1, "fetched once");
    server.advance(60);
    await refusedOrPage(app, cached);
    assert.equal(documents.requests, 2, "fetched again once max-age passed");
    for (const header of ["no-store", "max-age=60, no-cache", ""]) {
      const path = `/uncached-${header.length}.json`;
      const url = documents.document(path, {}, header === "" ? {} : { "cache-control": header });
      const before: number = documents.requests;
      await refusedOrPage(app, url);
      await refusedOrPage(app, url);
      assert.equal(documents.requests, before + 2, header);
    }
  } finally {
    await documents.stop();
  }
});

/** Opens the consent page of a document client, which must be shown. */
async function refusedOrPage(app: Plugin, url: string): Promise<void> {
  const reply = await send(app, "GET", `/oauth/authorize?${documentAuthorization(url)}`);
  assertPage(reply, 200);
}

test("the replay decision uses the client's proof", async () => {
  const { app } = await Server.start();
  // PKCE on the pre-registered client: a replay with the right verifier is a retry.
  const issued = await code(app, { code_challenge: CHALLENGE, code_challenge_method: "S256" });
  const body = { ...exchange(issued), code_verifier: VERIFIER };
  const first = tokensOf(await tokenJson(app, body));
  assertOAuthError(await tokenJson(app, body), 400, "invalid_grant");
  assert.equal((await list(app, first.access_token)).status, 200);
  // The same code with the wrong secret is not that client.
  assertOAuthError(
    await tokenJson(app, { ...body, client_secret: "wrong" }),
    401,
    "invalid_client",
  );
  assert.equal((await list(app, first.access_token)).status, 200);
});

/**
 * An MCP client's OAuth state, kept in memory, for the official SDK's `auth()`. Its browser
 * step opens the consent page and approves as alice; the redirect back is recorded.
 */
class MemoryProvider implements OAuthClientProvider {
  client: StoredOAuthClientInformation | undefined;
  saved: StoredOAuthTokens | undefined;
  verifier = "";
  callback: URLSearchParams | undefined;

  constructor(readonly app: Plugin) {}

  get redirectUrl(): string {
    return CLIENT_REDIRECT;
  }

  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: "Official SDK client",
      redirect_uris: [CLIENT_REDIRECT],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "none",
    };
  }

  clientInformation(): StoredOAuthClientInformation | undefined {
    return this.client;
  }

  saveClientInformation(client: StoredOAuthClientInformation): void {
    this.client = client;
  }

  tokens(): StoredOAuthTokens | undefined {
    return this.saved;
  }

  saveTokens(tokens: StoredOAuthTokens): void {
    this.saved = tokens;
  }

  saveCodeVerifier(verifier: string): void {
    this.verifier = verifier;
  }

  codeVerifier(): string {
    return this.verifier;
  }

  async redirectToAuthorization(url: URL): Promise<void> {
    assert.equal(url.origin + url.pathname, `${ISSUER}/oauth/authorize`);
    const page = await send(this.app, "GET", `/oauth/authorize${url.search}`);
    assertPage(page, 200);
    assert.ok(page.text.includes("Official SDK client asks"), page.text);
    const id = /name="request_id" value="([^"]*)"/.exec(page.text)?.[1] ?? "";
    const form = new URLSearchParams({
      request_id: id,
      username: "alice",
      password: "alice-password",
      decision: "allow",
    });
    this.callback = paramsAt(
      await postForm(this.app, "/oauth/authorize", form.toString()),
      CLIENT_REDIRECT,
    );
  }
}

test("the official MCP client signs in from the /mcp URL alone", async () => {
  const { app } = await Server.start();
  const fetchFn = (url: string | URL, init?: RequestInit): Promise<Response> =>
    Promise.resolve(app.app.request(String(url), init));
  const provider = new MemoryProvider(app);
  const serverUrl = MCP_RESOURCE;
  // Discovery, registration and the authorization request.
  assert.equal(await auth(provider, { serverUrl, fetchFn }), "REDIRECT");
  assert.match(provider.client?.client_id ?? "", /^mcp-/);
  const callback = provider.callback;
  assert.ok(callback !== undefined);
  assert.equal(callback.get("iss"), ISSUER);
  // The SDK's provider makes no `state` here; PKCE protects the flow instead.
  assert.equal(callback.get("state"), null);
  // The code exchange, with PKCE and the resource.
  const authorized = await auth(provider, {
    serverUrl,
    fetchFn,
    authorizationCode: callback.get("code") ?? "",
    iss: callback.get("iss") ?? "",
  });
  assert.equal(authorized, "AUTHORIZED");
  const access = provider.saved?.access_token ?? "";
  // Bound to /mcp: the REST API refuses it.
  assertError(await list(app, access), 401);
  const transport = new StreamableHTTPClientTransport(new URL(serverUrl), {
    authProvider: provider,
    fetch: fetchFn,
  });
  const client = new Client({ name: "test", version: "1" });
  await client.connect(transport);
  try {
    const tools = await client.listTools();
    assert.ok(tools.tools.length > 0);
  } finally {
    await client.close();
  }
  // It asked for offline_access (the metadata lists it), so it can refresh; the token rotates.
  const refresh = provider.saved?.refresh_token;
  assert.equal(typeof refresh, "string");
  assert.equal(await auth(provider, { serverUrl, fetchFn }), "AUTHORIZED");
  assert.notEqual(provider.saved?.refresh_token, refresh);
  assert.equal((await mcp(app, provider.saved?.access_token)).status, 200);
});
