/**
 * The parts of the OAuth server on their own: the redirect allow-list, form and Basic
 * decoding, PKCE challenges, tokens and hashes, HTML escaping, and the grants store.
 */

import assert from "node:assert/strict";
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { test } from "node:test";

import { escapeHtml } from "../src/oauth/page.js";
import { AllowList, formEncode, withParams } from "../src/oauth/redirect.js";
import {
  basicCredentials,
  hashSecret,
  isChallenge,
  parseForm,
  randomToken,
} from "../src/oauth/server.js";
import { Grants, GrantsFileError, grantsPath } from "../src/oauth/store.js";
import type { Code, Token } from "../src/oauth/store.js";
import { tempDataPath } from "./support.js";

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

test("the grants live beside the store, named as every stack names them", () => {
  for (const [data, grants] of [
    ["data/todos.json", "data/todos.oauth.json"],
    ["/var/lib/todos.json", "/var/lib/todos.oauth.json"],
    ["todos", "todos.oauth.json"],
    ["a.b/todos.tar.json", "a.b/todos.tar.oauth.json"],
    ["data/.hidden", "data/.hidden.oauth.json"],
    ["data/todos.", "data/todos.oauth.json"],
    ["data/todos.json/", "data/todos.oauth.json"],
  ]) {
    assert.equal(grantsPath(data ?? ""), grants, data);
  }
});

const NOW = 1_800_000_000;

function storedCode(grant: string, expiresAt = NOW + 300): Code {
  return {
    grant,
    clientId: "client",
    redirectUri: "http://localhost/cb",
    user: "alice",
    scope: ["todos"],
    codeChallenge: null,
    resource: null,
    expiresAt,
    used: false,
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
    resource: null,
    expiresAt,
    rotated: false,
  };
}

test("codes are used once; a replay is reported, and revoking is a separate step", async () => {
  const path = grantsPath(tempDataPath());
  const grants = Grants.open(path);
  await grants.addCode("c1", storedCode("g1"), NOW);
  assert.deepEqual(await grants.useCode("nope", NOW), { found: "unknown" });
  const fresh = await grants.useCode("c1", NOW);
  const used = { ...storedCode("g1"), used: true, usedAt: NOW };
  assert.deepEqual(fresh, { found: "fresh", value: used });
  await grants.addTokens(
    [
      ["a1", storedToken("g1", "access")],
      ["a2", storedToken("g2", "access")],
    ],
    NOW,
  );
  assert.equal(grants.accessToken("a1", NOW)?.user, "alice");
  assert.deepEqual(await grants.useCode("c1", NOW + 5), { found: "replayed", value: used });
  assert.equal(grants.accessToken("a1", NOW)?.user, "alice", "the caller decides");
  await grants.revoke("g1");
  assert.equal(grants.accessToken("a1", NOW), undefined);
  assert.equal(grants.accessToken("a2", NOW)?.grant, "g2", "other grants keep their tokens");
  // Expired codes are unknown.
  await grants.addCode("c2", storedCode("g3", NOW + 10), NOW);
  assert.deepEqual(await grants.useCode("c2", NOW + 10), { found: "unknown" });
  // What was written is what is read back.
  const reopened = Grants.open(path);
  assert.equal(reopened.accessToken("a2", NOW)?.grant, "g2");
  assert.deepEqual(await reopened.useCode("c1", NOW), { found: "replayed", value: used });
  assert.deepEqual(readdirSync(dirname(path)), ["todos.oauth.json"]);
});

test("refresh tokens rotate and end their access tokens; a replay revokes the grant", async () => {
  const grants = Grants.open(grantsPath(tempDataPath()));
  await grants.addTokens(
    [
      ["r1", storedToken("g1", "refresh")],
      ["a1", storedToken("g1", "access")],
    ],
    NOW,
  );
  assert.deepEqual(await grants.rotateRefresh("a1", NOW), { found: "unknown" });
  const fresh = await grants.rotateRefresh("r1", NOW);
  assert.deepEqual(fresh, {
    found: "fresh",
    value: { ...storedToken("g1", "refresh"), rotated: true },
  });
  assert.equal(grants.accessToken("a1", NOW), undefined);
  await grants.addTokens([["a2", storedToken("g1", "access")]], NOW);
  assert.deepEqual(await grants.rotateRefresh("r1", NOW), { found: "replayed" });
  assert.equal(grants.accessToken("a2", NOW), undefined);
  assert.deepEqual(await grants.rotateRefresh("r1", NOW), { found: "unknown" });
});

test("grants are written only on a change, and a failed write changes nothing", async () => {
  const path = grantsPath(tempDataPath());
  const grants = Grants.open(path);
  assert.deepEqual(await grants.useCode("nope", NOW), { found: "unknown" });
  assert.throws(() => readFileSync(path), /ENOENT/);
  await grants.addCode("c1", storedCode("g1"), NOW);
  const before = readFileSync(path, "utf8");
  rmSync(path);
  mkdirSync(path);
  await assert.rejects(grants.useCode("c1", NOW));
  rmSync(path, { recursive: true });
  writeFileSync(path, before);
  assert.equal((await grants.useCode("c1", NOW)).found, "fresh");
});

test("concurrent changes are serialized and all kept", async () => {
  const path = grantsPath(tempDataPath());
  const grants = Grants.open(path);
  await Promise.all(
    Array.from({ length: 30 }, (_, i) => grants.addCode(`c${i}`, storedCode(`g${i}`), NOW)),
  );
  const used = await Promise.all(
    Array.from({ length: 30 }, (_, i) => grants.useCode(`c${i}`, NOW)),
  );
  assert.ok(used.every((lookup) => lookup.found === "fresh"));
  const reopened = Grants.open(path);
  const again = await Promise.all(
    Array.from({ length: 30 }, (_, i) => reopened.useCode(`c${i}`, NOW)),
  );
  assert.ok(again.every((lookup) => lookup.found === "replayed"));
});

test("a corrupt grants file is reported, not replaced", () => {
  const valid = {
    grant: "g",
    kind: "access",
    client_id: "c",
    user: "u",
    scope: [],
    expires_at: 1,
    rotated: false,
  };
  for (const text of [
    "{ not json",
    "[]",
    '{"codes": {}}',
    '{"codes": [], "tokens": {}}',
    JSON.stringify({ codes: {}, tokens: { h: { ...valid, kind: "other" } } }),
    JSON.stringify({ codes: {}, tokens: { h: { ...valid, expires_at: -1 } } }),
    JSON.stringify({ codes: {}, tokens: { h: { ...valid, scope: "todos" } } }),
    JSON.stringify({ codes: {}, tokens: { h: { ...valid, rotated: "no" } } }),
    JSON.stringify({
      codes: { h: { ...valid, redirect_uri: "x", used: false, code_challenge: 1 } },
      tokens: {},
    }),
  ]) {
    const path = grantsPath(tempDataPath());
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    assert.throws(() => Grants.open(path), GrantsFileError, text);
    assert.equal(readFileSync(path, "utf8"), text);
  }
  // A missing challenge is none, as in every stack.
  const path = grantsPath(tempDataPath());
  mkdirSync(dirname(path), { recursive: true });
  const code = { ...valid, redirect_uri: "x", used: false };
  writeFileSync(path, JSON.stringify({ codes: { h: code }, tokens: {} }));
  assert.ok(Grants.open(path));
});
