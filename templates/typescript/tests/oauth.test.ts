/**
 * The OAuth flow end to end, as the plugin host runs it: authorize, approve, exchange, call
 * the API, refresh, and every way it must fail.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { test } from "node:test";

import { escapeHtml } from "../src/oauth/page.js";
import { LOCKOUT_SECONDS, MAX_WRONG_PASSWORDS } from "../src/oauth/pending.js";
import { PENDING_LIFETIME } from "../src/oauth/store.js";
import {
  ACCESS_TOKEN_LIFETIME,
  CODE_LIFETIME,
  REFRESH_TOKEN_LIFETIME,
  RETRY_SECONDS,
  hashSecret,
} from "../src/oauth/server.js";
import { MAX_BODY_BYTES } from "../src/request.js";
import {
  CHALLENGE,
  ISSUER,
  SCOPE,
  STATE,
  Server,
  VERIFIER,
  answer,
  approve,
  approveWithoutPage,
  assertOAuthError,
  assertPage,
  authorization,
  code,
  consent,
  exchange,
  list,
  postForm,
  publicCode,
  publicExchange,
  redirectParams,
  refreshWith,
  registerPublic,
  requestId,
  storedRows,
  storedText,
  tokenJson,
  tokensOf,
} from "./oauth-support.js";
import {
  CLIENT_ID,
  CLIENT_SECRET,
  REDIRECT_URI,
  assertError,
  send,
  sideConnection,
} from "./support.js";

test("the authorization endpoint shows a sign-in and consent page", async () => {
  const { app } = await Server.start();
  const reply = await send(app, "GET", `/oauth/authorize?${authorization()}`);
  assertPage(reply, 200);
  for (const needed of [
    '<form method="post">',
    'name="password"',
    'value="allow"',
    'value="deny"',
    "You will be sent back to chat.openai.com.",
    `<h1>Sign in to ${escapeHtml(app.documents.nameForHuman)}</h1>`,
  ]) {
    assert.ok(reply.text.includes(needed), `${needed} in ${reply.text}`);
  }
  // The request stays on the server: the form carries only its id.
  assert.ok(!reply.text.includes("state with spaces"), reply.text);
  assert.ok(requestId(reply.text).length >= 43);
  // HEAD is answered as GET, without the page.
  const head = await send(app, "HEAD", `/oauth/authorize?${authorization()}`);
  assert.equal(head.status, 200);
  assert.equal(head.text, "");
});

test("the whole flow works and refresh tokens rotate", async () => {
  const { app } = await Server.start();
  const approved = await approve(app, authorization());
  assert.equal(approved.status, 303);
  assert.equal(approved.text, "");
  const params = redirectParams(approved);
  assert.deepEqual([...params.keys()], ["code", "state", "iss"]);
  assert.equal(params.get("state"), STATE);
  assert.equal(params.get("iss"), ISSUER);
  // 256 random bits, URL-safe.
  assert.match(params.get("code") ?? "", /^[A-Za-z0-9_-]{43}$/);

  const reply = await tokenJson(app, exchange(params.get("code") ?? ""));
  assert.equal(reply.headers.get("cache-control"), "no-store");
  assert.equal(reply.headers.get("pragma"), "no-cache");
  const tokens = tokensOf(reply);
  assert.deepEqual(Object.keys(tokens), [
    "access_token",
    "token_type",
    "expires_in",
    "refresh_token",
    "scope",
  ]);
  assert.equal(tokens.token_type, "bearer");
  assert.equal(tokens.expires_in, ACCESS_TOKEN_LIFETIME);
  assert.equal(tokens.scope, SCOPE);
  const { access_token: access, refresh_token: refresh } = tokens;

  const added = await send(app, "POST", "/todos", { token: access, body: { todo: "milk" } });
  assert.equal(added.status, 201);
  assert.deepEqual((await list(app, access)).json(), { todos: [added.json()] });

  // Refresh, here as a form with HTTP Basic client credentials.
  const form = `grant_type=refresh_token&refresh_token=${refresh}`;
  const refreshed = tokensOf(await postForm(app, "/oauth/token", form, [CLIENT_ID, CLIENT_SECRET]));
  assert.notEqual(refreshed.refresh_token, refresh, "the refresh token rotates");
  assert.equal(refreshed.scope, SCOPE);
  assert.equal((await list(app, refreshed.access_token)).status, 200);
  // The old access token ended with its refresh token.
  assertError(await list(app, access), 401);

  // Replaying the old refresh token fails and revokes the whole grant.
  const replay = await postForm(app, "/oauth/token", form, [CLIENT_ID, CLIENT_SECRET]);
  assertOAuthError(replay, 400, "invalid_grant");
  assertError(await list(app, refreshed.access_token), 401);
  assertOAuthError(
    await tokenJson(app, refreshWith(refreshed.refresh_token)),
    400,
    "invalid_grant",
  );
});

test("form bodies and both client credential methods work", async () => {
  const { app } = await Server.start();
  const inBody = new URLSearchParams({
    grant_type: "authorization_code",
    code: await code(app),
    redirect_uri: REDIRECT_URI,
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
  }).toString();
  tokensOf(await postForm(app, "/oauth/token", inBody));

  const withBasic = {
    grant_type: "authorization_code",
    code: await code(app),
    redirect_uri: REDIRECT_URI,
  };
  const credentials = Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString("base64");
  const reply = await send(app, "POST", "/oauth/token", {
    body: withBasic,
    headers: { authorization: `Basic ${credentials}` },
  });
  tokensOf(reply);

  // Basic credentials are form-encoded (RFC 6749, 2.3.1), and a client_id in the body beside
  // them is fine; `basic` works as well as `Basic`, and a charset on the type is ignored.
  const encoded = Buffer.from(
    `${encodeURIComponent(CLIENT_ID).replaceAll("-", "%2D")}:${CLIENT_SECRET}`,
  );
  const form = new URLSearchParams({
    grant_type: "authorization_code",
    code: await code(app),
    redirect_uri: REDIRECT_URI,
    client_id: CLIENT_ID,
  }).toString();
  const decoded = await send(app, "POST", "/oauth/token", {
    body: form,
    headers: {
      "content-type": "Application/X-WWW-Form-Urlencoded; charset=UTF-8",
      authorization: `basic ${encoded.toString("base64")}`,
    },
  });
  tokensOf(decoded);
});

test("a bad client or redirect URI is an error page, never a redirect", async () => {
  const { app } = await Server.start();
  for (const query of [
    authorization({ client_id: "someone-else" }),
    authorization({ client_id: "" }),
    authorization({ client_id: `${CLIENT_ID}x` }),
    authorization({ redirect_uri: "https://evil.example/callback" }),
    authorization({ redirect_uri: "https://chat.openai.com.evil.example/aip/p/oauth/callback" }),
    authorization({ redirect_uri: "https://chat.openai.com/aip/p/oauth/callback#x" }),
    authorization({ redirect_uri: "" }),
    // Even with everything else wrong too.
    authorization({ redirect_uri: "https://evil.example/cb", response_type: "token", state: "" }),
    // The client or redirect URI given twice (RFC 6749, 3.1).
    `${authorization()}&client_id=${CLIENT_ID}`,
    `${authorization()}&redirect_uri=${encodeURIComponent(REDIRECT_URI)}`,
    "",
  ]) {
    for (const reply of [
      await send(app, "GET", `/oauth/authorize?${query}`),
      await approveWithoutPage(app, query),
    ]) {
      assertPage(reply, 400);
    }
  }
});

test("other bad requests redirect back with an error", async () => {
  const { app } = await Server.start();
  const cases: Array<[string, string]> = [
    [authorization({ response_type: "token" }), "unsupported_response_type"],
    // Another parameter given twice (RFC 6749, 3.1): the first state comes back.
    [`${authorization()}&state=again`, "invalid_request"],
    [`${authorization()}&scope=${SCOPE}`, "invalid_request"],
    [authorization({ response_type: "" }), "unsupported_response_type"],
    [authorization({ scope: "admin" }), "invalid_scope"],
    [authorization({ scope: `${SCOPE} admin` }), "invalid_scope"],
    [
      authorization({ code_challenge: "a".repeat(43), code_challenge_method: "plain" }),
      "invalid_request",
    ],
    [authorization({ code_challenge: "a".repeat(43) }), "invalid_request"],
    [authorization({ code_challenge_method: "S256" }), "invalid_request"],
    [
      authorization({ code_challenge: "a".repeat(42), code_challenge_method: "S256" }),
      "invalid_request",
    ],
    [
      authorization({ code_challenge: "a".repeat(129), code_challenge_method: "S256" }),
      "invalid_request",
    ],
    [
      authorization({ code_challenge: `${"a".repeat(43)}+`, code_challenge_method: "S256" }),
      "invalid_request",
    ],
  ];
  for (const [query, error] of cases) {
    const reply = await send(app, "GET", `/oauth/authorize?${query}`);
    assert.equal(reply.status, 303, query);
    assert.equal(reply.text, "");
    const params = redirectParams(reply);
    assert.deepEqual([...params.keys()], ["error", "error_description", "state", "iss"], query);
    assert.equal(params.get("error"), error, query);
    assert.equal(params.get("state"), STATE);
    assert.equal(params.get("iss"), ISSUER);
    assertPage(await approveWithoutPage(app, query), 400);
  }
  // `state` is required; the refusal then has none to return.
  for (const state of ["", "&state="]) {
    const query = `${authorization({ state: "" })}${state}`;
    const params = redirectParams(await send(app, "GET", `/oauth/authorize?${query}`));
    assert.equal(params.get("error"), "invalid_request");
    assert.equal(params.get("state"), null);
    assert.deepEqual([...params.keys()], ["error", "error_description", "iss"]);
  }
});

test("with PKCE, state may be left out, and the redirect then carries none", async () => {
  const { app } = await Server.start();
  const query = authorization({
    state: "",
    code_challenge: CHALLENGE,
    code_challenge_method: "S256",
  });
  const reply = await approve(app, query);
  assert.equal(reply.status, 303, reply.text);
  const params = redirectParams(reply);
  assert.deepEqual([...params.keys()], ["code", "iss"]);
  assert.equal(params.get("iss"), ISSUER);
  const denied = await answer(app, { request_id: await consent(app, query), decision: "deny" });
  assert.deepEqual([...redirectParams(denied).keys()], ["error", "error_description", "iss"]);
});

test("a missing scope is the manifest's, and a smaller one is granted as asked", async () => {
  const { app } = await Server.start();
  const missing = tokensOf(await tokenJson(app, exchange(await code(app, { scope: "" }))));
  assert.equal(missing.scope, SCOPE);
  const page = await send(app, "GET", `/oauth/authorize?${authorization({ scope: "" })}`);
  assert.ok(!page.text.includes('name="scope"'), "no scope asked, none carried");
  const first = SCOPE.split(" ")[0] ?? "";
  if (first !== "") {
    const asked = `\u3000${first}  ${first}\t`;
    const narrowed = tokensOf(await tokenJson(app, exchange(await code(app, { scope: asked }))));
    assert.equal(narrowed.scope, `${first} ${first}`);
  }
});

test("denying redirects with access_denied", async () => {
  const { app } = await Server.start();
  const id = await consent(app, authorization());
  const params = redirectParams(await answer(app, { request_id: id, decision: "deny" }));
  assert.deepEqual(
    [...params],
    [
      ["error", "access_denied"],
      ["error_description", "the user denied the request"],
      ["state", STATE],
      ["iss", ISSUER],
    ],
  );
  // Anything but allow or deny is a 400 page.
  for (const decision of [{}, { decision: "maybe" }]) {
    const reply = await answer(app, {
      request_id: await consent(app, authorization()),
      ...decision,
    });
    assertPage(reply, 400);
    assert.ok(reply.text.includes("Choose Allow or Deny."), reply.text);
  }
});

test("a wrong password shows the page again without a code", async () => {
  const { app } = await Server.start();
  for (const [user, password] of [
    ["alice", "wrong"],
    ["mallory", "alice-password"],
    ["alice", "bob-password"],
    ["alice", "alice-password "],
    ["", ""],
  ] as const) {
    const reply = await approve(app, authorization(), user, password);
    assertPage(reply, 200);
    assert.ok(reply.text.includes("Wrong username or password."), reply.text);
    assert.ok(reply.text.includes(`name="username" autocomplete="username" value="${user}"`));
    // The page can be answered again: it carries a new id for the same request.
    requestId(reply.text);
  }
  // The username is trimmed; the password is taken as it is.
  const approved = await approve(app, authorization(), " bob\u2003", "bob-password");
  const tokens = tokensOf(
    await tokenJson(app, exchange(redirectParams(approved).get("code") ?? "")),
  );
  await send(app, "POST", "/todos", { token: tokens.access_token, body: { todo: "bob's" } });
  const alice = await tokenJson(app, exchange(await code(app)));
  assert.deepEqual((await list(app, tokensOf(alice).access_token)).json(), { todos: [] });
});

test("a consent form the server did not show is refused", async () => {
  const { app } = await Server.start();
  const signIn = "username=alice&password=alice-password&decision=allow";
  // The whole request in the form, as the page used to carry it, but no page was shown.
  for (const form of [
    `${authorization()}&${signIn}`,
    `${authorization()}&request_id=made-up&${signIn}`,
    signIn,
  ]) {
    const reply = await postForm(app, "/oauth/authorize", form);
    assertPage(reply, 400);
    assert.ok(reply.text.includes("Sign-in expired"), reply.text);
  }
});

test("a consent page is answered once and within 10 minutes", async () => {
  const server = await Server.start();
  const { app } = server;
  const signIn = { username: "alice", password: "alice-password", decision: "allow" };
  const used = await consent(app, authorization());
  redirectParams(await answer(app, { request_id: used, ...signIn }));
  assertPage(await answer(app, { request_id: used, ...signIn }), 400);
  const denied = await consent(app, authorization());
  redirectParams(await answer(app, { request_id: denied, decision: "deny" }));
  assertPage(await answer(app, { request_id: denied, ...signIn }), 400);
  const late = await consent(app, authorization());
  server.advance(PENDING_LIFETIME);
  const reply = await answer(app, { request_id: late, ...signIn });
  assertPage(reply, 400);
  assert.ok(reply.text.includes("Sign-in expired"), reply.text);
});

test("the form cannot change the request it answers", async () => {
  const { app } = await Server.start();
  const verifier = "w".repeat(43);
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const query = authorization({ code_challenge: challenge, code_challenge_method: "S256" });
  const tampered = {
    request_id: await consent(app, query),
    username: "alice",
    password: "alice-password",
    decision: "allow",
    // What the old form carried, changed: none of it counts.
    state: "forged",
    redirect_uri: "http://localhost/evil",
    code_challenge: "",
    code_challenge_method: "",
    client_id: "someone-else",
  };
  const params = redirectParams(await answer(app, tampered));
  assert.equal(params.get("state"), STATE);
  // The PKCE challenge of the page still binds the code.
  const withoutVerifier = await tokenJson(app, exchange(params.get("code") ?? ""));
  assertOAuthError(withoutVerifier, 400, "invalid_grant");
});

test("wrong passwords lock the username for a while", async () => {
  const server = await Server.start();
  const { app } = server;
  for (let i = 0; i < MAX_WRONG_PASSWORDS; i += 1) {
    const reply = await approve(app, authorization(), "alice", "wrong");
    assertPage(reply, 200);
    assert.ok(reply.text.includes("Wrong username or password."), reply.text);
  }
  // Locked: even the right password gets the page again, without a code.
  const locked = await approve(app, authorization());
  assertPage(locked, 200);
  assert.ok(locked.text.includes("Too many wrong passwords"), locked.text);
  // Other users are not locked.
  redirectParams(await approve(app, authorization(), "bob", "bob-password"));
  server.advance(LOCKOUT_SECONDS);
  redirectParams(await approve(app, authorization()));
});

test("token errors follow RFC 6749", async () => {
  const { app } = await Server.start();
  const issued = await code(app);
  const withChanges = (changes: Record<string, unknown>): Record<string, unknown> => {
    const body = exchange(issued);
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined) {
        delete body[key];
      } else {
        body[key] = value;
      }
    }
    return body;
  };
  const cases: Array<[unknown, number, string]> = [
    [withChanges({ client_secret: "wrong" }), 401, "invalid_client"],
    [withChanges({ client_secret: `${CLIENT_SECRET}x` }), 401, "invalid_client"],
    [withChanges({ client_id: "other" }), 401, "invalid_client"],
    [withChanges({ client_id: undefined }), 401, "invalid_client"],
    [withChanges({ client_id: undefined, client_secret: undefined }), 401, "invalid_client"],
    [withChanges({ client_secret: "" }), 401, "invalid_client"],
    [withChanges({ grant_type: "password" }), 400, "unsupported_grant_type"],
    [withChanges({ grant_type: "client_credentials" }), 400, "unsupported_grant_type"],
    [withChanges({ grant_type: undefined }), 400, "invalid_request"],
    [withChanges({ grant_type: "" }), 400, "invalid_request"],
    [withChanges({ code: undefined }), 400, "invalid_request"],
    [withChanges({ redirect_uri: undefined }), 400, "invalid_request"],
    [withChanges({ code: "no-such-code" }), 400, "invalid_grant"],
    [withChanges({ code: 42 }), 400, "invalid_request"],
    [withChanges({ extra: null }), 400, "invalid_request"],
    [[exchange(issued)], 400, "invalid_request"],
    ['{"grant_type": "authorization_code"', 400, "invalid_request"],
    ['{"grant_type": "\\ud800"}', 400, "invalid_request"],
    ["", 400, "invalid_request"],
  ];
  for (const [body, status, error] of cases) {
    assertOAuthError(await tokenJson(app, body), status, error);
  }
  // JSON that JavaScript reads but the other stacks' parsers refuse is not JSON here either.
  for (const body of ['{"x": 1e400}', '{"x": "\\udc00"}', '\ufeff{"x": "y"}']) {
    const reply = await tokenJson(app, body);
    assertOAuthError(reply, 400, "invalid_request");
    assert.equal(
      (reply.json() as Record<string, unknown>)["error_description"],
      "the body is not a JSON object",
    );
  }
  // Wrong Basic credentials too, and Basic that is not base64 of id:secret.
  const form = `grant_type=authorization_code&code=${issued}&redirect_uri=${REDIRECT_URI}`;
  const wrong = await postForm(app, "/oauth/token", form, [CLIENT_ID, "wrong"]);
  assertOAuthError(wrong, 401, "invalid_client");
  for (const authorization of ["Basic !!!", "Basic dGVzdC1jbGllbnQ", "Basic bm8tY29sb24="]) {
    const reply = await send(app, "POST", "/oauth/token", {
      body: form,
      headers: { "content-type": "application/x-www-form-urlencoded", authorization },
    });
    assertOAuthError(reply, 401, "invalid_client");
  }
  // Credentials in the body and as Basic at once are refused.
  const both = `${form}&client_id=${CLIENT_ID}&client_secret=${CLIENT_SECRET}`;
  const twice = await postForm(app, "/oauth/token", both, [CLIENT_ID, CLIENT_SECRET]);
  assertOAuthError(twice, 400, "invalid_request");
  // A parameter given twice.
  const repeated = `${form}&code=${issued}`;
  assertOAuthError(
    await postForm(app, "/oauth/token", repeated, [CLIENT_ID, CLIENT_SECRET]),
    400,
    "invalid_request",
  );
  // Neither JSON nor a form.
  for (const contentType of [
    "text/plain",
    "application/jsonx",
    "application/vnd.api+json",
    "application/x-www-form-urlencodedx",
  ]) {
    const plain = await send(app, "POST", "/oauth/token", {
      body: JSON.stringify(exchange(issued)),
      headers: { "content-type": contentType },
    });
    assertOAuthError(plain, 400, "invalid_request");
  }
  const none = await send(app, "POST", "/oauth/token", {
    headers: {
      authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString("base64")}`,
    },
  });
  assertOAuthError(none, 400, "invalid_request");
  // None of the refused requests used the code up.
  tokensOf(await tokenJson(app, exchange(issued)));
});

test("the code must come with the same redirect URI", async () => {
  const { app } = await Server.start();
  const body = { ...exchange(await code(app)), redirect_uri: "http://localhost:9/other" };
  assertOAuthError(await tokenJson(app, body), 400, "invalid_grant");
});

test("a code posted again by its client within a minute fails and revokes nothing", async () => {
  const server = await Server.start();
  const { app } = server;
  // The pre-registered client, proven by its secret (ChatGPT has posted a code twice).
  const issued = await code(app);
  const first = tokensOf(await tokenJson(app, exchange(issued)));
  server.advance(RETRY_SECONDS);
  assertOAuthError(await tokenJson(app, exchange(issued)), 400, "invalid_grant");
  assert.equal((await list(app, first.access_token)).status, 200, "still signed in");
  // A public client, proven by the same PKCE verifier.
  const client = await registerPublic(app);
  const withPkce = await publicCode(app, client);
  const tokens = tokensOf(await tokenJson(app, publicExchange(client, withPkce)));
  assertOAuthError(await tokenJson(app, publicExchange(client, withPkce)), 400, "invalid_grant");
  assert.equal((await list(app, tokens.access_token)).status, 200, "still signed in");
});

test("any other replayed code fails and revokes what it issued", async () => {
  const server = await Server.start();
  const { app } = server;
  // Later than a retry would come.
  let issued = await code(app);
  let first = tokensOf(await tokenJson(app, exchange(issued)));
  assert.equal((await list(app, first.access_token)).status, 200);
  server.advance(RETRY_SECONDS + 1);
  assertOAuthError(await tokenJson(app, exchange(issued)), 400, "invalid_grant");
  const revoked = await list(app, first.access_token);
  assertError(revoked, 401);
  assert.match(revoked.headers.get("www-authenticate") ?? "", /error="invalid_token"$/);
  assertOAuthError(await tokenJson(app, refreshWith(first.refresh_token)), 400, "invalid_grant");
  // Without the PKCE verifier the first exchange proved.
  const client = await registerPublic(app);
  const withPkce = await publicCode(app, client);
  const tokens = tokensOf(await tokenJson(app, publicExchange(client, withPkce)));
  const wrongVerifier = { ...publicExchange(client, withPkce), code_verifier: "b".repeat(43) };
  assertOAuthError(await tokenJson(app, wrongVerifier), 400, "invalid_grant");
  assertError(await list(app, tokens.access_token), 401);
  // From another client.
  issued = await code(app, { code_challenge: CHALLENGE, code_challenge_method: "S256" });
  first = tokensOf(await tokenJson(app, { ...exchange(issued), code_verifier: VERIFIER }));
  const other = { ...publicExchange(client, issued), redirect_uri: REDIRECT_URI };
  assertOAuthError(await tokenJson(app, other), 400, "invalid_grant");
  assertError(await list(app, first.access_token), 401);
});

test("codes, access tokens and refresh tokens expire", async () => {
  const server = await Server.start();
  const { app } = server;
  const late = await code(app);
  server.advance(CODE_LIFETIME);
  assertOAuthError(await tokenJson(app, exchange(late)), 400, "invalid_grant");
  const justInTime = await code(app);
  server.advance(CODE_LIFETIME - 1);
  const tokens = tokensOf(await tokenJson(app, exchange(justInTime)));

  assert.equal((await list(app, tokens.access_token)).status, 200);
  server.advance(ACCESS_TOKEN_LIFETIME - 1);
  assert.equal((await list(app, tokens.access_token)).status, 200);
  server.advance(1);
  const expired = await list(app, tokens.access_token);
  assertError(expired, 401);
  assert.match(expired.headers.get("www-authenticate") ?? "", /error="invalid_token"$/);

  // The refresh token outlives it, for 30 days.
  const refreshed = tokensOf(await tokenJson(app, refreshWith(tokens.refresh_token)));
  assert.equal((await list(app, refreshed.access_token)).status, 200);
  server.advance(REFRESH_TOKEN_LIFETIME);
  assertOAuthError(
    await tokenJson(app, refreshWith(refreshed.refresh_token)),
    400,
    "invalid_grant",
  );
});

test("PKCE S256 is checked when the client uses it", async () => {
  const { app } = await Server.start();
  const verifier = "a-verifier-of-at-least-43-characters-0123456789";
  const challenge = createHash("sha256").update(verifier).digest("base64url");
  const pkce = { code_challenge: challenge, code_challenge_method: "S256" };
  const withVerifier = (code: string, verifier?: string): unknown =>
    verifier === undefined ? exchange(code) : { ...exchange(code), code_verifier: verifier };

  // The challenge stays on the server, with the request the consent page answers.
  const page = await send(app, "GET", `/oauth/authorize?${authorization(pkce)}`);
  assert.ok(!page.text.includes(challenge), page.text);

  tokensOf(await tokenJson(app, withVerifier(await code(app, pkce), verifier)));
  for (const given of [
    "another-verifier-of-at-least-43-characters-xyz",
    `${verifier} `,
    undefined,
  ]) {
    const reply = await tokenJson(app, withVerifier(await code(app, pkce), given));
    assertOAuthError(reply, 400, "invalid_grant");
  }
  // A verifier for a request that had no challenge is refused too.
  const plain = await tokenJson(app, withVerifier(await code(app), verifier));
  assertOAuthError(plain, 400, "invalid_grant");
});

test("a refresh may narrow the scope but not widen it", async () => {
  const { app } = await Server.start();
  const tokens = tokensOf(await tokenJson(app, exchange(await code(app))));
  const widened = await tokenJson(
    app,
    refreshWith(tokens.refresh_token, { scope: `${SCOPE} admin` }),
  );
  assertOAuthError(widened, 400, "invalid_scope");
  // The refused refresh still used the token up: presenting it again is a replay.
  assertOAuthError(await tokenJson(app, refreshWith(tokens.refresh_token)), 400, "invalid_grant");

  const again = tokensOf(await tokenJson(app, exchange(await code(app))));
  const first = SCOPE.split(" ")[0] ?? "";
  const narrowed = tokensOf(
    await tokenJson(app, refreshWith(again.refresh_token, first === "" ? {} : { scope: first })),
  );
  assert.equal(narrowed.scope, first === "" ? SCOPE : first);
  // An access token is not a refresh token.
  const wrongKind = await tokenJson(app, refreshWith(narrowed.access_token));
  assertOAuthError(wrongKind, 400, "invalid_grant");
  assertOAuthError(await tokenJson(app, refreshWith("")), 400, "invalid_request");
});

test("tokens survive a restart and are stored hashed", async () => {
  const server = await Server.start();
  const issued = await code(server.app);
  const pending = await code(server.app);
  const tokens = tokensOf(await tokenJson(server.app, exchange(issued)));

  await server.app.close();
  const restarted = await Server.start(server.data);
  assert.equal((await list(restarted.app, tokens.access_token)).status, 200);
  tokensOf(await tokenJson(restarted.app, exchange(pending)));
  assertOAuthError(await tokenJson(restarted.app, exchange(issued)), 400, "invalid_grant");
  const stored = await storedText(server.data);
  for (const secret of [tokens.access_token, tokens.refresh_token, issued, pending]) {
    assert.ok(!stored.includes(secret), "a raw secret is stored");
  }
  assert.ok(stored.includes(hashSecret(issued)), "the hash is");
});

test("the grants are rows of the shared schema, and expired ones are pruned", async () => {
  const server = await Server.start();
  const { app } = server;
  const issued = await code(app);
  const tokens = tokensOf(await tokenJson(app, exchange(issued)));
  const [storedCode, ...otherCodes] = await storedRows(server.data, "oauth_codes");
  assert.deepEqual(otherCodes, []);
  assert.deepEqual(
    { ...storedCode },
    {
      code_hash: hashSecret(issued),
      grant_id: storedCode?.["grant_id"],
      client_id: CLIENT_ID,
      redirect_uri: REDIRECT_URI,
      username: "alice",
      scope: SCOPE,
      code_challenge: null,
      resource: null,
      expires_at: server.now + CODE_LIFETIME,
      used_at: server.now,
    },
  );
  const stored = await storedRows(server.data, "oauth_tokens");
  const access = stored.find((row) => row["token_hash"] === hashSecret(tokens.access_token));
  assert.deepEqual(
    { ...access, rotated: Boolean(access?.["rotated"]) },
    {
      token_hash: hashSecret(tokens.access_token),
      grant_id: storedCode?.["grant_id"],
      kind: "access",
      client_id: CLIENT_ID,
      username: "alice",
      scope: SCOPE,
      resource: null,
      expires_at: server.now + ACCESS_TOKEN_LIFETIME,
      rotated: false,
    },
  );
  const refresh = stored.find((row) => row["token_hash"] === hashSecret(tokens.refresh_token));
  assert.equal(refresh?.["kind"], "refresh");

  // The next change forgets what has expired.
  server.advance(REFRESH_TOKEN_LIFETIME);
  await code(app);
  assert.equal((await storedRows(server.data, "oauth_codes")).length, 1);
  assert.deepEqual(await storedRows(server.data, "oauth_tokens"), []);
});

test("the API needs a valid access token", async () => {
  const { app } = await Server.start();
  for (const token of [undefined, "not-a-token", CLIENT_SECRET]) {
    const reply = await send(app, "GET", "/todos", { token });
    assertError(reply, 401);
    assert.match(reply.headers.get("www-authenticate") ?? "", /^Bearer realm="/);
  }
  // A refresh token or a code is not an access token.
  const issued = await code(app);
  const tokens = tokensOf(await tokenJson(app, exchange(issued)));
  for (const token of [tokens.refresh_token, issued]) {
    assertError(await list(app, token), 401);
  }
  assertError(await send(app, "DELETE", "/todos/1", { token: tokens.refresh_token }), 401);
});

test("the OAuth routes answer only their methods", async () => {
  const { app } = await Server.start();
  const get = await send(app, "GET", "/oauth/token");
  assertError(get, 405);
  assert.equal(get.headers.get("allow"), "POST");
  const put = await send(app, "PUT", "/oauth/authorize", { body: {} });
  assertError(put, 405);
  assert.equal(put.headers.get("allow"), "GET,HEAD,POST");
  assertError(await send(app, "GET", "/oauth/authorize/"), 404);
  assertError(await send(app, "GET", "/oauth"), 404);
});

test("the manifest points at the OAuth endpoints", async () => {
  const { app } = await Server.start();
  const manifest = (await send(app, "GET", "/.well-known/ai-plugin.json")).json() as {
    auth: Record<string, unknown>;
  };
  assert.equal(manifest.auth["client_url"], "https://todo.example.com/oauth/authorize");
  assert.equal(manifest.auth["authorization_url"], "https://todo.example.com/oauth/token");
  assert.equal(manifest.auth["scope"], SCOPE);
  assert.deepEqual(manifest.auth["verification_tokens"], { openai: "verification-from-chatgpt" });
});

test("a body over the limit is a 413", async () => {
  const { app } = await Server.start();
  const huge = `grant_type=${"x".repeat(MAX_BODY_BYTES)}`;
  for (const path of ["/oauth/token", "/oauth/authorize"]) {
    const reply = await postForm(app, path, huge);
    assert.equal(reply.status, 413, path);
    assert.match(reply.headers.get("content-type") ?? "", /^application\/json/);
  }
});

test("a grant that cannot be stored is a server error, and nothing is lost", async () => {
  const server = await Server.start();
  const { app } = server;
  const tokens = tokensOf(await tokenJson(app, exchange(await code(app))));
  const issued = await code(app);
  // With the codes' table renamed away, the database refuses to store or use codes.
  const db = await sideConnection(server.data);
  await db.query("ALTER TABLE oauth_codes RENAME TO oauth_codes_away");
  const page = await approve(app, authorization());
  assertPage(page, 500);
  assert.ok(page.text.includes("The code could not be stored"), page.text);
  const failed = await tokenJson(app, exchange(issued));
  assertOAuthError(failed, 500, "server_error");
  // What was issued before still works, and the code was not used up.
  assert.equal((await list(app, tokens.access_token)).status, 200);
  await db.query("ALTER TABLE oauth_codes_away RENAME TO oauth_codes");
  await db.close();
  tokensOf(await tokenJson(app, exchange(issued)));
});
