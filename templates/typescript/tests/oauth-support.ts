/** What the OAuth tests share: a plugin with a clock, the flow's steps, and assertions. */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";

import { createApp } from "../src/app.js";
import type { Plugin } from "../src/app.js";
import type { Config } from "../src/config.js";
import { oauthScope } from "../src/documents.js";
import type { Resolver } from "../src/oauth/client-metadata.js";
import {
  CLIENT_ID,
  CLIENT_SECRET,
  REDIRECT_URI,
  freshData,
  send,
  sideConnection,
  testConfig,
} from "./support.js";
import type { Reply, TestData } from "./support.js";

/** The issuer: PUBLIC_URL of the test configuration. */
export const ISSUER = "https://todo.example.com";
/** The MCP endpoint's resource identifier. */
export const MCP_RESOURCE = `${ISSUER}/mcp`;
/** A PKCE verifier, and its S256 challenge. */
export const VERIFIER = "v".repeat(43);
export const CHALLENGE = createHash("sha256").update(VERIFIER).digest("base64url");
/** A redirect URI registered clients use. */
export const CLIENT_REDIRECT = "https://client.example.org/callback";

/** A plugin with a clock the test moves. */
export class Server {
  now = 1_800_000_000;
  // Set by `start`, which cannot be a constructor: opening the database takes a while.
  app!: Plugin;

  private constructor(readonly data: TestData) {}

  /** A plugin on `data` (new, empty data if not given), with `change` made to its settings. */
  static async start(
    data?: TestData,
    change: Partial<Config> = {},
    resolver?: Resolver,
  ): Promise<Server> {
    const server = new Server(data ?? (await freshData()));
    server.app = await createApp(
      { ...testConfig(server.data), ...change },
      () => server.now,
      resolver,
    );
    return server;
  }

  advance(seconds: number): void {
    this.now += seconds;
  }
}

/** The rows of an OAuth table of `data`'s database, as the database returns them. */
export async function storedRows(
  data: TestData,
  table: "oauth_clients" | "oauth_codes" | "oauth_tokens" | "oauth_pending",
): Promise<Array<Record<string, unknown>>> {
  const db = await sideConnection(data);
  try {
    return await db.query(`SELECT * FROM ${table} ORDER BY 1`);
  } finally {
    await db.close();
  }
}

/** Everything the OAuth tables of `data`'s database hold, as text to search. */
export async function storedText(data: TestData): Promise<string> {
  const tables = ["oauth_clients", "oauth_codes", "oauth_tokens", "oauth_pending"] as const;
  const rows = [];
  for (const table of tables) {
    rows.push(await storedRows(data, table));
  }
  return JSON.stringify(rows);
}

/** Runs each statement on `data`'s database, on a connection of its own. */
export async function runSql(data: TestData, ...statements: string[]): Promise<void> {
  const db = await sideConnection(data);
  try {
    for (const sql of statements) {
      await db.query(sql);
    }
  } finally {
    await db.close();
  }
}

/** The state of the test requests: it must come back unchanged. */
export const STATE = "state with spaces & symbols=/?é";

/** The scope the manifest grants (`todos` unless the project was generated with another). */
export const SCOPE = oauthScope((await Server.start()).app.documents).join(" ");

/** The query string of a valid authorization request, with `extra` added or replacing. */
export function authorization(extra: Record<string, string> = {}): string {
  const params: Record<string, string> = {
    response_type: "code",
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    scope: SCOPE,
    state: STATE,
  };
  for (const [name, value] of Object.entries(extra)) {
    delete params[name];
    params[name] = value;
  }
  return new URLSearchParams(Object.entries(params).filter(([, value]) => value !== "")).toString();
}

/** A form POST, with client credentials as HTTP Basic if `basic` is given. */
export function postForm(
  app: Plugin,
  path: string,
  form: string,
  basic?: [string, string],
): Promise<Reply> {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
  if (basic !== undefined) {
    headers["authorization"] = `Basic ${Buffer.from(basic.join(":")).toString("base64")}`;
  }
  return send(app, "POST", path, { body: form, headers });
}

/** The id a consent page's form carries: its only hidden field. */
export function requestId(page: string): string {
  const hidden = [...page.matchAll(/<input type="hidden" name="([^"]*)" value="([^"]*)">/g)];
  assert.deepEqual(
    hidden.map((field) => field[1]),
    ["request_id"],
    page,
  );
  return hidden[0]?.[2] ?? "";
}

/** The id of the consent page shown for the authorization request `query`. */
export async function consent(app: Plugin, query: string): Promise<string> {
  const page = await send(app, "GET", `/oauth/authorize?${query}`);
  assert.equal(page.status, 200, page.text);
  return requestId(page.text);
}

/** Posts the consent form. */
export function answer(app: Plugin, form: Record<string, string>): Promise<Reply> {
  return postForm(app, "/oauth/authorize", new URLSearchParams(form).toString());
}

/**
 * Opens the consent page for the authorization request `query`, signs in and approves; the
 * reply to the consent form.
 */
export async function approve(
  app: Plugin,
  query: string,
  username = "alice",
  password = "alice-password",
): Promise<Reply> {
  const id = await consent(app, query);
  return answer(app, { request_id: id, username, password, decision: "allow" });
}

/**
 * Posts the authorization request `query` with alice's sign-in as a consent form, with no
 * consent page shown for it: always refused.
 */
export function approveWithoutPage(app: Plugin, query: string): Promise<Reply> {
  const form = `${query}&username=alice&password=alice-password&decision=allow`;
  return postForm(app, "/oauth/authorize", form);
}

/** The query parameters of a redirect to the test's redirect URI. */
export function redirectParams(reply: Reply): URLSearchParams {
  const location = reply.headers.get("location") ?? "";
  assert.ok(location.startsWith(`${REDIRECT_URI}?`), location);
  return new URLSearchParams(location.slice(REDIRECT_URI.length + 1));
}

/** A code for alice, from a valid request with `extra` parameters. */
export async function code(app: Plugin, extra: Record<string, string> = {}): Promise<string> {
  const reply = await approve(app, authorization(extra));
  assert.equal(reply.status, 303, reply.text);
  const code = redirectParams(reply).get("code");
  assert.ok(code !== null);
  return code;
}

/** A token request with a JSON body, as ChatGPT sends it for `application/json`. */
export function tokenJson(app: Plugin, body: unknown): Promise<Reply> {
  return send(app, "POST", "/oauth/token", { body });
}

export function exchange(code: string): Record<string, unknown> {
  return {
    grant_type: "authorization_code",
    code,
    redirect_uri: REDIRECT_URI,
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
  };
}

export function refreshWith(refreshToken: string, extra: Record<string, string> = {}): unknown {
  return {
    grant_type: "refresh_token",
    refresh_token: refreshToken,
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    ...extra,
  };
}

/** The tokens of a successful token response. */
export interface Tokens {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
  scope: string;
}

export function tokensOf(reply: Reply): Tokens {
  assert.equal(reply.status, 200, reply.text);
  return reply.json() as Tokens;
}

/** Asserts an RFC 6749 error: `{"error": <code>, "error_description": "..."}`, not cached. */
export function assertOAuthError(reply: Reply, status: number, error: string): void {
  assert.equal(reply.status, status, reply.text);
  assert.equal(reply.headers.get("content-type"), "application/json");
  const body = reply.json() as Record<string, unknown>;
  assert.deepEqual(Object.keys(body), ["error", "error_description"]);
  assert.equal(body["error"], error, reply.text);
  assert.equal(typeof body["error_description"], "string");
  assert.equal(reply.headers.get("cache-control"), "no-store");
  assert.equal(reply.headers.get("pragma"), "no-cache");
  if (status === 401) {
    assert.equal(reply.headers.get("www-authenticate"), 'Basic realm="oauth"');
  }
}

/** Asserts an HTML page with the headers that keep it from being framed, cached or leaked. */
export function assertPage(reply: Reply, status: number): void {
  assert.equal(reply.status, status, reply.text);
  assert.equal(reply.headers.get("content-type"), "text/html; charset=utf-8");
  assert.equal(
    reply.headers.get("content-security-policy"),
    "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  );
  assert.equal(reply.headers.get("x-frame-options"), "DENY");
  assert.equal(reply.headers.get("cache-control"), "no-store");
  assert.equal(reply.headers.get("referrer-policy"), "no-referrer");
  assert.equal(reply.headers.get("location"), null);
  assert.ok(!reply.text.includes("<script"), reply.text);
}

export function list(app: Plugin, token: string): Promise<Reply> {
  return send(app, "GET", "/todos", { token });
}

/** A registered public client: its id and redirect URI. */
export interface PublicClient {
  readonly clientId: string;
  readonly redirectUri: string;
}

/** Registers a public client (no secret) through `POST /oauth/register`. */
export async function registerPublic(
  app: Plugin,
  metadata: Record<string, unknown> = {},
): Promise<PublicClient> {
  const reply = await send(app, "POST", "/oauth/register", {
    body: {
      redirect_uris: [CLIENT_REDIRECT],
      token_endpoint_auth_method: "none",
      grant_types: ["authorization_code", "refresh_token"],
      client_name: "Test MCP client",
      ...metadata,
    },
  });
  assert.equal(reply.status, 201, reply.text);
  const body = reply.json() as { client_id: string; redirect_uris: string[] };
  return { clientId: body.client_id, redirectUri: body.redirect_uris[0] ?? "" };
}

/** The authorization request of a public client, with PKCE, and `extra` added or replacing. */
export function publicAuthorization(
  client: PublicClient,
  extra: Record<string, string> = {},
): string {
  return authorization({
    client_id: client.clientId,
    redirect_uri: client.redirectUri,
    code_challenge: CHALLENGE,
    code_challenge_method: "S256",
    ...extra,
  });
}

/** The query parameters of a redirect to `redirectUri`. */
export function paramsAt(reply: Reply, redirectUri: string): URLSearchParams {
  assert.equal(reply.status, 303, reply.text);
  const location = reply.headers.get("location") ?? "";
  assert.ok(location.startsWith(`${redirectUri}?`), location);
  return new URLSearchParams(location.slice(redirectUri.length + 1));
}

/** A code for alice, issued to a public client. */
export async function publicCode(
  app: Plugin,
  client: PublicClient,
  extra: Record<string, string> = {},
): Promise<string> {
  const reply = await approve(app, publicAuthorization(client, extra));
  const code = paramsAt(reply, client.redirectUri).get("code");
  assert.ok(code !== null, reply.text);
  return code;
}

/** The token request of a public client for `code`: no secret, the PKCE verifier. */
export function publicExchange(
  client: PublicClient,
  code: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    grant_type: "authorization_code",
    code,
    redirect_uri: client.redirectUri,
    client_id: client.clientId,
    code_verifier: VERIFIER,
    ...extra,
  };
}
