/** The durable store: persistence, ids, limits, atomic writes and a corrupt file. */

import assert from "node:assert/strict";
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { test } from "node:test";

import { ListFullError, MAX_TODOS_PER_USER, Store, StoreFileError } from "../src/store.js";
import { tempDataPath } from "./support.js";

test("items survive reopening, and ids are never reused", async () => {
  const path = tempDataPath();
  const store = Store.open(path);
  const first = await store.add("alice", "milk");
  await store.add("alice", "eggs");
  assert.ok(await store.delete("alice", first.id));
  const reopened = Store.open(path);
  assert.deepEqual(
    reopened.list("alice").map((t) => t.todo),
    ["eggs"],
  );
  // Ids are never reused, even after a delete and a restart.
  assert.equal((await reopened.add("alice", "bread")).id, "3");
});

test("the file is the shared format, and no temporary file is left behind", async () => {
  const path = tempDataPath();
  const store = Store.open(path);
  await store.add("bob", "b");
  await store.add("alice", "a");
  assert.equal(
    readFileSync(path, "utf8"),
    JSON.stringify(
      { next_id: 2, users: { alice: [{ id: "2", todo: "a" }], bob: [{ id: "1", todo: "b" }] } },
      null,
      2,
    ),
  );
  assert.deepEqual(readdirSync(dirname(path)), ["todos.json"]);
});

test("users are sorted by their UTF-8 bytes, numeric names too, as in every stack", async () => {
  const path = tempDataPath();
  const store = Store.open(path);
  for (const user of ["a", "9", "10", "é", "Z", "__proto__"]) {
    await store.add(user, user);
  }
  const names = [...readFileSync(path, "utf8").matchAll(/^ {4}"([^"]*)": \[$/gm)].map((m) => m[1]);
  assert.deepEqual(names, ["10", "9", "Z", "__proto__", "a", "é"]);
  const reopened = Store.open(path);
  assert.deepEqual(
    ["10", "__proto__"].map((user) => reopened.list(user).map((t) => t.todo)),
    [["10"], ["__proto__"]],
  );
});

test("a full list refuses more", async () => {
  const store = Store.open(tempDataPath());
  for (let i = 0; i < MAX_TODOS_PER_USER; i += 1) {
    await store.add("bob", `item ${i}`);
  }
  await assert.rejects(store.add("bob", "one more"), ListFullError);
  assert.equal((await store.add("carol", "fine")).todo, "fine");
});

test("deleting a missing item changes nothing", async () => {
  const path = tempDataPath();
  const store = Store.open(path);
  await store.add("dan", "x");
  const before = readFileSync(path, "utf8");
  assert.equal(await store.delete("dan", "999"), false);
  assert.equal(await store.delete("erin", "1"), false);
  assert.equal(store.list("dan").length, 1);
  assert.equal(readFileSync(path, "utf8"), before);
});

test("a corrupt file is reported, not replaced", () => {
  for (const text of ["{ not json", "[]", '{"next_id": 1}', '{"next_id": -1, "users": {}}']) {
    const path = tempDataPath();
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    assert.throws(() => Store.open(path), StoreFileError, text);
    assert.equal(readFileSync(path, "utf8"), text);
  }
});

test("a failed write leaves the items unchanged, and later changes still work", async () => {
  const path = tempDataPath();
  const store = Store.open(path);
  await store.add("alice", "kept");
  // A folder where the file should be makes the final rename fail.
  rmSync(path);
  mkdirSync(path);
  await assert.rejects(store.add("alice", "lost"));
  assert.deepEqual(
    store.list("alice").map((t) => t.todo),
    ["kept"],
  );
  rmSync(path, { recursive: true });
  assert.equal((await store.add("alice", "again")).id, "2");
  assert.deepEqual(
    Store.open(path)
      .list("alice")
      .map((t) => t.todo),
    ["kept", "again"],
  );
});

test("concurrent changes are serialized and all kept", async () => {
  const path = tempDataPath();
  const store = Store.open(path);
  const added = await Promise.all(Array.from({ length: 50 }, (_, i) => store.add("eve", `${i}`)));
  assert.equal(new Set(added.map((t) => t.id)).size, 50);
  await Promise.all(added.slice(0, 25).map((t) => store.delete("eve", t.id)));
  assert.equal(Store.open(path).list("eve").length, 25);
});
