/** The durable store: persistence, ids, limits, atomic writes and a corrupt file. */

import assert from "node:assert/strict";
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { test } from "node:test";

import { ListFullError, MAX_TODOS_PER_USER, Store, StoreFileError } from "../src/store.js";
import type { Todo } from "../src/store.js";
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

test("any mix of concurrent changes keeps the lists and the file a plain map would", async () => {
  const path = tempDataPath();
  let store = Store.open(path);
  const model = new Map<string, Todo[]>();
  let nextId = 0;
  // Names whose UTF-8 order differs from other orders (numbers, case, characters above U+FFFF),
  // and enough others for bursts of changes to many users.
  const users = ["a", "b", "9", "10", "Z", "é", "\uffff", "😀", "__proto__", ""];
  users.push(...Array.from({ length: 200 }, (_, i) => `user ${i}`));
  let seed = 7;
  /** A number below `n`, the same on every run (the MINSTD generator). */
  const random = (n: number): number => {
    seed = (seed * 48271) % 2147483647;
    return seed % n;
  };
  for (let round = 0; round < 30; round += 1) {
    const changes: Array<Promise<unknown>> = [];
    for (let i = round % 5 === 4 ? 500 : random(20); i >= 0; i -= 1) {
      const user = users[random(users.length)]!;
      const todos = model.get(user) ?? [];
      if (random(3) > 0 && todos.length < MAX_TODOS_PER_USER) {
        nextId += 1;
        const todo = { id: String(nextId), todo: `item ${nextId}` };
        model.set(user, [...todos, todo]);
        changes.push(store.add(user, todo.todo).then((added) => assert.deepEqual(added, todo)));
      } else {
        const id = random(2) === 0 ? (todos[random(todos.length)]?.id ?? "0") : "0";
        const remaining = todos.filter((todo) => todo.id !== id);
        if (remaining.length === 0) {
          model.delete(user);
        } else {
          model.set(user, remaining);
        }
        const deleted = remaining.length < todos.length;
        changes.push(store.delete(user, id).then((result) => assert.equal(result, deleted)));
      }
    }
    await Promise.all(changes);
    if (round % 10 === 9) {
      store = Store.open(path);
    }
    for (const user of users) {
      assert.deepEqual(store.list(user), model.get(user) ?? [], user);
    }
    const sorted = [...model].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const lines = sorted.map(
      ([user, todos]) =>
        `    ${JSON.stringify(user)}: ${JSON.stringify(todos, null, 2).replaceAll("\n", "\n    ")}`,
    );
    const map = lines.length === 0 ? "{}" : `{\n${lines.join(",\n")}\n  }`;
    assert.equal(readFileSync(path, "utf8"), `{\n  "next_id": ${nextId},\n  "users": ${map}\n}`);
  }
});
