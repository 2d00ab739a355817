/**
 * The TODO store on its database: persistence, ids, limits under concurrency, and a database it
 * cannot use. Runs on SQLite, or on PostgreSQL when `DATABASE_URL` is set.
 */

import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { after, test } from "node:test";

import { DatabaseError, SCHEMA_VERSION } from "../src/db.js";
import type { Database } from "../src/db.js";
import { ListCache, ListFullError, MAX_TODOS_PER_USER, Store } from "../src/store.js";
import type { Todo } from "../src/store.js";
import { freshData, openTestDatabase } from "./support.js";
import type { TestData } from "./support.js";

/** Every database a test opened, closed when the file's tests end. */
const opened: Database[] = [];
/** The database of each store {@link open} made, until {@link reopen} closes it. */
const databases = new Map<Store, Database>();

after(async () => {
  await Promise.all([...opened, ...databases.values()].map((db) => db.close()));
});

/** A store on `data`, through a connection of its own. */
async function open(data: TestData): Promise<Store> {
  const db = await openTestDatabase(data);
  const store = new Store(db);
  databases.set(store, db);
  return store;
}

/** Closes the database of `store` and opens `data` again, as a restart of the server does. */
async function reopen(store: Store, data: TestData): Promise<Store> {
  await databases.get(store)?.close();
  databases.delete(store);
  return open(data);
}

test("items survive reopening, and ids are never reused", async () => {
  const data = await freshData();
  const store = await open(data);
  const first = await store.add("alice", "milk");
  const second = await store.add("alice", "eggs");
  assert.ok(await store.delete("alice", second.id));
  const reopened = await reopen(store, data);
  assert.deepEqual(
    (await reopened.list("alice")).map((t) => t.todo),
    ["milk"],
  );
  // Ids are never reused, even after a delete of the newest item and a restart.
  const third = await reopened.add("alice", "bread");
  assert.ok(Number(third.id) > Number(second.id), `${third.id} after ${second.id}`);
  assert.deepEqual(await reopened.list("alice"), [first, third]);
});

test("lists are per user, oldest first, and keep any text and user name", async () => {
  const store = await open(await freshData());
  const users = ["a", "9", "10", "é", "😀", "__proto__", "", "it's"];
  for (const user of users) {
    await store.add(user, `${user} 1`);
    await store.add(user, `${user} 2 '"; --`);
  }
  for (const user of users) {
    assert.deepEqual(
      (await store.list(user)).map((t) => t.todo),
      [`${user} 1`, `${user} 2 '"; --`],
    );
  }
  assert.deepEqual(await store.list("nobody"), []);
});

test("a full list refuses more, and a delete makes room again", async () => {
  const store = await open(await freshData());
  for (let i = 0; i < MAX_TODOS_PER_USER; i += 1) {
    await store.add("bob", `item ${i}`);
  }
  await assert.rejects(store.add("bob", "one more"), ListFullError);
  assert.equal((await store.add("carol", "fine")).todo, "fine");
  const [oldest] = await store.list("bob");
  assert.ok(await store.delete("bob", oldest!.id));
  assert.equal((await store.add("bob", "room again")).todo, "room again");
  await assert.rejects(store.add("bob", "full again"), ListFullError);
});

test("deleting a missing item, or another user's, changes nothing", async () => {
  const store = await open(await freshData());
  const item = await store.add("dan", "x");
  for (const id of ["999", "0", "-1", "01", "1.0", "abc", "", "99999999999999999999"]) {
    assert.equal(await store.delete("dan", id), false, id);
  }
  assert.equal(await store.delete("erin", item.id), false);
  assert.deepEqual(await store.list("dan"), [item]);
});

// On PostgreSQL the store's pool runs these on several connections at once.
test("concurrent adds lose nothing and never pass the limit", async () => {
  const data = await freshData();
  let store = await open(data);
  const adds = Array.from({ length: MAX_TODOS_PER_USER + 30 }, (_, i) =>
    store.add("eve", `item ${i}`),
  );
  const results = await Promise.allSettled(adds);
  const added = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
  const refused = results.flatMap((r) => (r.status === "rejected" ? [r.reason] : []));
  assert.equal(added.length, MAX_TODOS_PER_USER);
  assert.ok(refused.every((error) => error instanceof ListFullError), String(refused[0]));
  assert.equal(new Set(added.map((t) => t.id)).size, MAX_TODOS_PER_USER);
  store = await reopen(store, data);
  const listed = await store.list("eve");
  assert.deepEqual(
    listed.map((t) => t.id).sort(),
    added.map((t) => t.id).sort(),
  );
  // Concurrent deletes of the same item: exactly one wins, and the count stays right.
  const target = listed[0]!;
  const deleted = await Promise.all([store.delete("eve", target.id), store.delete("eve", target.id)]);
  assert.deepEqual(deleted.sort(), [false, true]);
  await store.add("eve", "the freed place");
  await assert.rejects(store.add("eve", "no more"), ListFullError);
});

test("any mix of concurrent changes keeps the lists a plain map would", async () => {
  const data = await freshData();
  let store = await open(data);
  const model = new Map<string, Todo[]>();
  const users = ["a", "b", "9", "10", "Z", "é", "😀", ""];
  users.push(...Array.from({ length: 20 }, (_, i) => `user ${i}`));
  let seed = 7;
  /** A number below `n`, the same on every run (the MINSTD generator). */
  const random = (n: number): number => {
    seed = (seed * 48271) % 2147483647;
    return seed % n;
  };
  for (let round = 0; round < 12; round += 1) {
    const changes: Array<Promise<unknown>> = [];
    // At most one change per user in a round, so the model knows the outcome.
    const touched = new Set<string>();
    for (let i = round % 4 === 3 ? 40 : random(15); i >= 0; i -= 1) {
      const user = users[random(users.length)]!;
      if (touched.has(user)) {
        continue;
      }
      touched.add(user);
      const todos = model.get(user) ?? [];
      if (random(3) > 0) {
        const text = `item ${round}.${i}`;
        changes.push(
          store.add(user, text).then((added) => {
            assert.equal(added.todo, text);
            model.set(user, [...todos, added]);
          }),
        );
      } else {
        const id = random(2) === 0 ? (todos[random(todos.length)]?.id ?? "0") : "0";
        const remaining = todos.filter((todo) => todo.id !== id);
        model.set(user, remaining);
        const deleted = remaining.length < todos.length;
        changes.push(store.delete(user, id).then((result) => assert.equal(result, deleted)));
      }
    }
    await Promise.all(changes);
    if (round % 4 === 1) {
      store = await reopen(store, data);
    }
    for (const user of users) {
      assert.deepEqual(await store.list(user), model.get(user) ?? [], user);
    }
  }
});

test("a listing shows the store's own adds and deletes at once", async () => {
  const store = await open(await freshData());
  assert.deepEqual(await store.list("amy"), []);
  const item = await store.add("amy", "milk");
  assert.deepEqual(await store.list("amy"), [item]);
  assert.ok(await store.delete("amy", item.id));
  assert.deepEqual(await store.list("amy"), []);
});

test("a listing read again comes from memory on SQLite, from the database on PostgreSQL", async () => {
  const data = await freshData();
  const db = await openTestDatabase(data);
  opened.push(db);
  let selects = 0;
  const counted: Database = {
    query: (sql, params) => {
      selects += sql.startsWith("SELECT") ? 1 : 0;
      return db.query(sql, params);
    },
    transaction: (work) => db.transaction(work),
    dialect: db.dialect,
    close: () => db.close(),
  };
  const store = new Store(counted);
  const item = await store.add("ben", "milk");
  assert.deepEqual(await store.list("ben"), [item]);
  assert.deepEqual(await store.list("ben"), [item]);
  assert.equal(selects, data.databaseUrl === null ? 1 : 2);
});

test("a second open of a SQLite file fails while the first is open, and works after", async (t) => {
  const data = await freshData();
  if (data.databaseUrl !== null) {
    t.skip("PostgreSQL: several instances share it");
    return;
  }
  const first = await openTestDatabase(data);
  await assert.rejects(openTestDatabase(data), (error: Error) => {
    assert.ok(error instanceof DatabaseError);
    assert.equal(
      error.message,
      `another server uses the SQLite database at DATA_PATH \`${data.dataPath}\` (it holds ` +
        `\`${data.dataPath}.lock\`); stop it, or set DATA_PATH to another file. To run several ` +
        "instances on the same data, set DATABASE_URL to a PostgreSQL database",
    );
    return true;
  });
  await first.close();
  const second = await openTestDatabase(data);
  await second.close();
});

test("the list cache starts again past its bound, and keeps nothing read before a change", () => {
  const cache = new ListCache();
  const todos = [{ id: "1", todo: "milk" }];
  assert.equal(cache.get("user 0"), undefined);
  for (let i = 0; i < ListCache.MAX_LISTS; i += 1) {
    cache.keep(`user ${i}`, todos, cache.generation);
  }
  cache.keep("user 0", todos, cache.generation); // already kept: no new list
  assert.equal(cache.get("user 0"), todos);
  cache.keep(`user ${ListCache.MAX_LISTS}`, todos, cache.generation);
  assert.equal(cache.get("user 0"), undefined);
  assert.equal(cache.get(`user ${ListCache.MAX_LISTS}`), todos);
  // A list read before a drop (its write may have come after the read) is not kept.
  const before = cache.generation;
  cache.drop("user 1");
  cache.keep("user 1", todos, before);
  assert.equal(cache.get("user 1"), undefined);
  cache.keep("user 1", todos, cache.generation);
  assert.equal(cache.get("user 1"), todos);
});

test("a database made by a newer version of the plugin is refused", async () => {
  const data = await freshData();
  const db = await openTestDatabase(data);
  await db.query("UPDATE schema_version SET version = $1", [SCHEMA_VERSION + 1]);
  await db.close();
  await assert.rejects(openTestDatabase(data), (error: Error) => {
    assert.ok(error instanceof DatabaseError);
    assert.match(error.message, /made by a newer version of this plugin/);
    return true;
  });
});

test("a database that cannot be used is reported, naming the setting", async () => {
  const data = await freshData();
  if (data.databaseUrl === null) {
    // Not a SQLite database: reported, and left as it is.
    mkdirSync(dirname(data.dataPath), { recursive: true });
    writeFileSync(data.dataPath, "{ not a database");
    await assert.rejects(openTestDatabase(data), (error: Error) => {
      assert.ok(error instanceof DatabaseError);
      assert.match(error.message, /DATA_PATH/);
      return true;
    });
  } else {
    const url = new URL(data.databaseUrl);
    url.pathname = "/no_such_database_here";
    await assert.rejects(openTestDatabase({ ...data, databaseUrl: url.toString() }), (error: Error) => {
      assert.ok(error instanceof DatabaseError);
      assert.match(error.message, /DATABASE_URL/);
      return true;
    });
  }
});
