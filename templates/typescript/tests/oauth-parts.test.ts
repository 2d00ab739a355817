/**
 * The parts of the OAuth server on their own: the redirect allow-list, form and Basic
 * decoding, PKCE challenges, tokens and hashes, HTML escaping, and the grants store (on
 * SQLite, or on PostgreSQL when `DATABASE_URL` is set).
 */

import assert from "node:assert/strict";
import { after, test } from "node:test";

import { escapeHtml } from "../src/oauth/page.js";
import { AllowList, formEncode, withParams } from "../src/oauth/redirect.js";
import {
  basicCredentials,
  hashSecret,
  isChallenge,
  parseForm,
  randomToken,
} from "../src/oauth/server.js";
import type { Database } from "../src/db.js";
import { Grants, MAX_CLIENTS, PENDING_LIFETIME } from "../src/oauth/store.js";
import type { Client, Code, Token } from "../src/oauth/store.js";
import { freshData, openTestDatabase } from "./support.js";
import type { TestData } from "./support.js";

test("ChatGPT's callbacks and loopback URLs are allowed", () => {
  const list = new AllowList();
  for (const uri of [
    "https://chat.openai.com/aip/plugin-6a3f0b8e-1c2d-4e5f-8a9b-0c1d2e3f4a5b/oauth/callback",
    "https://chatgpt.com/aip/g-abc123XYZ/oauth/callback",
    `https://chatgpt.com/aip/${"a".repeat(100)}/oauth/callback`,
    "http://localhost:8080/callback",
    "http://localhost",
    "http://127.0.0.1/cb?x=1",
    "http://[::1]:9000/",
    "http://localhost/é",
    "http://localhost:80/cb",
  ]) {
    assert.ok(list.allows(uri), uri);
  }
});

test("everything else is refused", () => {
  const list = new AllowList();
  for (const uri of [
    "https://evil.example/aip/plugin-1/oauth/callback",
    "https://chat.openai.com.evil.example/aip/plugin-1/oauth/callback",
    "https://chat.openai.com@evil.example/aip/plugin-1/oauth/callback",
    "https://chat.openai.com/aip/plugin-1/oauth/callback/../../x",
    "https://chat.openai.com/aip/plugin-1/oauth/callback?next=evil",
    "https://chat.openai.com/aip/plugin-1/oauth/callback?",
    "https://chat.openai.com/aip/plugin-1/oauth/callback#x",
    "https://chat.openai.com/aip/plugin-1/oauth/callback/",
    "https://chat.openai.com:444/aip/plugin-1/oauth/callback",
    "https://chat.openai.com:443/aip/plugin-1/oauth/callback",
    "http://chat.openai.com/aip/plugin-1/oauth/callback",
    "HTTPS://chat.openai.com/aip/plugin-1/oauth/callback",
    "https://CHAT.openai.com/aip/plugin-1/oauth/callback",
    "https://chat.openai.com/aip//oauth/callback",
    "https://chat.openai.com/aip/plugin.1/oauth/callback",
    `https://chatgpt.com/aip/${"a".repeat(101)}/oauth/callback`,
    "https://chat.openai.com/other",
    "http://localhost.evil.example/cb",
    "http://localhost:x/cb",
    "http://localhost:/cb",
    "http://localhost\\@evil.example/",
    // A browser reads `[::1]` here as user info, and goes to evil.example.
    "http://[::1]@evil.example/",
    "http://user@localhost/",
    "http://localhost/a b",
    "http://localhost/\u00a0",
    "http://localhost/\u0085",
    "http://localhost/\t",
    `http://localhost/${"a".repeat(2000)}`,
    "http://[::1/",
    "http://[::1].evil.com/cb",
    "http://[::1]evil.com/cb",
    "http://[::1].evil.com:80/cb",
    "http://LOCALHOST/cb",
    "http://:80/",
    "javascript:alert(1)",
    "",
  ]) {
    assert.ok(!list.allows(uri), uri);
  }
});

test("extra URIs are matched exactly", () => {
  const list = new AllowList(["https://app.example.com/oauth/done"]);
  assert.ok(list.allows("https://app.example.com/oauth/done"));
  assert.ok(!list.allows("https://app.example.com/oauth/done/"));
  assert.ok(!list.allows("https://app.example.com/oauth/done?x=1"));
  assert.ok(!list.allows("https://App.example.com/oauth/done"));
});

test("params are form-encoded and appended", () => {
  assert.equal(
    withParams("http://localhost/cb", [
      ["code", "a b"],
      ["state", "x&y=z"],
    ]),
    "http://localhost/cb?code=a+b&state=x%26y%3Dz",
  );
  assert.equal(
    withParams("http://localhost/cb?keep=1", [["error", "access_denied"]]),
    "http://localhost/cb?keep=1&error=access_denied",
  );
  assert.equal(
    formEncode("aZ09*-._ ~!'()é🎉/+"),
    "aZ09*-._+%7E%21%27%28%29%C3%A9%F0%9F%8E%89%2F%2B",
  );
});

test("forms decode as application/x-www-form-urlencoded, and a repeated name is refused", () => {
  const form = (text: string): Array<[string, string]> => [
    ...parseForm(Buffer.from(text, "latin1")),
  ];
  assert.deepEqual(form("a=1&b=x+y%2By&&c&=d&e=%zz%4"), [
    ["a", "1"],
    ["b", "x y+y"],
    ["c", ""],
    ["", "d"],
    ["e", "%zz%4"],
  ]);
  assert.deepEqual(form("s=%C3%A9%F0%9F%8E%89&bad=%FF%C3&raw=\xe9"), [
    ["s", "é🎉"],
    ["bad", "\ufffd\ufffd"],
    ["raw", "\ufffd"],
  ]);
  assert.deepEqual(form("bom=%EF%BB%BFx"), [["bom", "\ufeffx"]]);
  assert.deepEqual(form(""), []);
  assert.throws(() => form("a=1&a=2"), /the parameter `a` is given more than once/);
  assert.throws(() => form("a=1&%61=2"), /`a`/);
});

test("Basic credentials are canonical base64 of form-encoded parts", () => {
  const base64 = (text: string): string => Buffer.from(text).toString("base64");
  assert.deepEqual(basicCredentials(base64("my%20client:s%3Acret")), ["my client", "s:cret"]);
  assert.deepEqual(basicCredentials(base64("id:se:cret+x")), ["id", "se:cret x"]);
  assert.deepEqual(basicCredentials(base64("id:a&b")), ["id", "a"]);
  assert.deepEqual(basicCredentials(` ${base64("a:b")}\t`), ["a", "b"]);
  assert.deepEqual(basicCredentials(base64(":")), ["", ""]);
  assert.deepEqual(basicCredentials("YTpi"), ["a", "b"]);
  // Only canonical base64 (padding required, no spare bits, no URL-safe alphabet, no spaces)
  // of text with a colon.
  for (const bad of [
    "not base64!",
    base64("no-colon"),
    "YTpiYw",
    "YTpiYx==",
    "YTpi Yw==",
    "-_-_",
    "YTpiYw==YTpi",
    "",
  ]) {
    assert.equal(basicCredentials(bad), undefined, bad);
  }
  // Not UTF-8.
  assert.equal(basicCredentials(Buffer.from([0x61, 0x3a, 0xff]).toString("base64")), undefined);
});

test("challenges are 43 to 128 unreserved characters", () => {
  assert.ok(isChallenge("a".repeat(43)));
  assert.ok(isChallenge("A-._~9".repeat(20)));
  assert.ok(isChallenge("a".repeat(128)));
  assert.ok(!isChallenge("a".repeat(42)));
  assert.ok(!isChallenge("a".repeat(129)));
  assert.ok(!isChallenge(`${"a".repeat(43)}+`));
  assert.ok(!isChallenge(`${"a".repeat(43)}\n`));
  assert.ok(!isChallenge("é".repeat(43)));
});

test("tokens are random and stored hashed", () => {
  const [a, b] = [randomToken(), randomToken()];
  assert.notEqual(a, b);
  assert.match(a, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(
    hashSecret("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  assert.notEqual(hashSecret(a), a);
});

test("HTML escaping covers the special characters", () => {
  assert.equal(
    escapeHtml(`<a href="x">'&'</a>`),
    "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
  );
});

/** Every database a test opened, closed when the file's tests end. */
const opened: Database[] = [];

after(async () => {
  await Promise.all(opened.map((db) => db.close()));
});

/** The grants on `data` (new, empty data if not given), through a connection of their own. */
async function openGrants(data?: TestData): Promise<Grants> {
  const db = await openTestDatabase(data ?? (await freshData()));
  opened.push(db);
  return new Grants(db);
}

const NOW = 1_800_000_000;

function storedCode(grant: string, expiresAt = NOW + 300): Code {
  return {
    grant,
    clientId: "client",
    redirectUri: "http://localhost/cb",
    user: "alice",
    scope: ["todos", "offline_access"],
    codeChallenge: null,
    resource: null,
    expiresAt,
    usedAt: null,
  };
}

function storedToken(grant: string, kind: Token["kind"], expiresAt = NOW + 3600): Token {
  return {
    grant,
    kind,
    clientId: "client",
    user: "alice",
    scope: ["todos"],
    resource: "https://todo.example.com/mcp",
    expiresAt,
  };
}

test("codes are used once; a replay is reported, and revoking is a separate step", async () => {
  const data = await freshData();
  const db = await openTestDatabase(data);
  const grants = new Grants(db);
  await grants.addCode("c1", storedCode("g1"), NOW);
  assert.deepEqual(await grants.useCode("nope", NOW), { found: "unknown" });
  const fresh = await grants.useCode("c1", NOW);
  const used = { ...storedCode("g1"), usedAt: NOW };
  assert.deepEqual(fresh, { found: "fresh", value: used });
  await grants.addTokens(
    [
      ["a1", storedToken("g1", "access")],
      ["a2", storedToken("g2", "access")],
    ],
    NOW,
  );
  assert.equal((await grants.accessToken("a1", NOW))?.user, "alice");
  assert.deepEqual(await grants.useCode("c1", NOW + 5), { found: "replayed", value: used });
  assert.equal((await grants.accessToken("a1", NOW))?.user, "alice", "the caller decides");
  await grants.revoke("g1");
  assert.equal(await grants.accessToken("a1", NOW), undefined);
  assert.deepEqual(await grants.accessToken("a2", NOW), storedToken("g2", "access"));
  // Expired codes and tokens are unknown.
  await grants.addCode("c2", storedCode("g3", NOW + 10), NOW);
  assert.deepEqual(await grants.useCode("c2", NOW + 10), { found: "unknown" });
  assert.equal(await grants.accessToken("a2", NOW + 3600), undefined);
  // What was written is what is read back after a restart.
  await db.close();
  const reopened = await openGrants(data);
  assert.equal((await reopened.accessToken("a2", NOW))?.grant, "g2");
  assert.deepEqual(await reopened.useCode("c1", NOW), { found: "replayed", value: used });
});

test("a code used concurrently has exactly one winner", async () => {
  const grants = await openGrants();
  for (let round = 0; round < 5; round += 1) {
    await grants.addCode(`c${round}`, storedCode(`g${round}`), NOW);
    const lookups = await Promise.all(
      Array.from({ length: 8 }, () => grants.useCode(`c${round}`, NOW)),
    );
    const found = lookups.map((lookup) => lookup.found).sort();
    assert.deepEqual(found, ["fresh", ...Array<string>(7).fill("replayed")]);
  }
});

test("refresh tokens rotate and end their access tokens; a replay revokes the grant", async () => {
  const grants = await openGrants();
  await grants.addTokens(
    [
      ["r1", storedToken("g1", "refresh")],
      ["a1", storedToken("g1", "access")],
    ],
    NOW,
  );
  assert.deepEqual(await grants.rotateRefresh("a1", NOW), { found: "unknown" });
  assert.deepEqual(await grants.refreshToken("r1", NOW), storedToken("g1", "refresh"));
  const fresh = await grants.rotateRefresh("r1", NOW);
  assert.deepEqual(fresh, { found: "fresh", value: storedToken("g1", "refresh") });
  assert.equal(await grants.refreshToken("r1", NOW), undefined, "rotated");
  assert.equal(await grants.accessToken("a1", NOW), undefined);
  await grants.addTokens([["a2", storedToken("g1", "access")]], NOW);
  assert.deepEqual(await grants.rotateRefresh("r1", NOW), { found: "replayed" });
  assert.equal(await grants.accessToken("a2", NOW), undefined);
  assert.deepEqual(await grants.rotateRefresh("r1", NOW), { found: "unknown" });
});

test("a refresh token rotated concurrently has exactly one winner", async () => {
  const grants = await openGrants();
  for (let round = 0; round < 5; round += 1) {
    await grants.addTokens([[`r${round}`, storedToken(`g${round}`, "refresh")]], NOW);
    const lookups = await Promise.all(
      Array.from({ length: 8 }, () => grants.rotateRefresh(`r${round}`, NOW)),
    );
    const fresh = lookups.filter((lookup) => lookup.found === "fresh");
    assert.equal(fresh.length, 1, JSON.stringify(lookups));
  }
});

test("registered clients are kept, up to MAX_CLIENTS even when registering concurrently", async () => {
  const grants = await openGrants();
  const client: Client = {
    secretHash: null,
    issuedAt: NOW,
    clientName: "Inspector",
    redirectUris: ["http://localhost:6274/oauth/callback", "https://x.example/cb"],
    scope: ["todos"],
  };
  assert.equal(await grants.addClient("first", client), true);
  assert.deepEqual(await grants.client("first"), client);
  assert.equal(await grants.client("other"), undefined);
  const confidential = { ...client, secretHash: "ab".repeat(32), clientName: null, scope: null };
  const added = await Promise.all(
    Array.from({ length: MAX_CLIENTS + 9 }, (_, i) => grants.addClient(`c${i}`, confidential)),
  );
  assert.equal(added.filter(Boolean).length, MAX_CLIENTS - 1);
  assert.deepEqual(await grants.client("c0"), confidential);
});

test("a pending consent request is taken once, and not after it expired", async () => {
  const grants = await openGrants();
  const request = { clientId: "c", scope: ["todos"], state: "s é" };
  await grants.addPending("p1", request, NOW);
  await grants.addPending("p2", request, NOW);
  const taken = await Promise.all([grants.takePending("p1", NOW), grants.takePending("p1", NOW)]);
  assert.deepEqual(
    taken.filter((found) => found !== undefined),
    [request],
  );
  assert.equal(await grants.takePending("p2", NOW + PENDING_LIFETIME), undefined);
  assert.equal(await grants.takePending("p2", NOW), undefined, "taken, though expired");
  assert.equal(await grants.takePending("unknown", NOW), undefined);
});
