/**
 * The TODO items, in the database (`db.ts`): plain SQL, the same in every stack of this plugin.
 */

import type { Database, Queries } from "./db.js";
import { charCount, isWellFormed, trimSpaces } from "./text.js";

/**
 * How many items one user's list may hold, which keeps a listing far below the
 * 100,000-character response limit of the plugin host.
 */
export const MAX_TODOS_PER_USER = 100;

/** The longest TODO text accepted, in characters. */
export const MAX_TODO_CHARS = 500;

/**
 * A TODO text as stored (trimmed), or why it cannot be: the one check behind both the REST
 * route and the MCP tool, which word their refusals each for their own reader.
 */
export type CheckedTodo =
  | { readonly text: string }
  | { readonly problem: "lone-surrogate" | "empty" }
  | { readonly problem: "too-long"; readonly length: number };

/** Checks and trims a TODO text (see {@link CheckedTodo}). */
export function checkTodoText(todo: string): CheckedTodo {
  if (!isWellFormed(todo)) {
    return { problem: "lone-surrogate" };
  }
  const text = trimSpaces(todo);
  if (text === "") {
    return { problem: "empty" };
  }
  const length = charCount(text);
  return length > MAX_TODO_CHARS ? { problem: "too-long", length } : { text };
}

/** One TODO item. */
export interface Todo {
  /** Stable and unique: ids are never reused, so deleting by id never hits the wrong item. */
  readonly id: string;
  /** The text. */
  readonly todo: string;
}

/** The user's list already holds {@link MAX_TODOS_PER_USER} items. */
export class ListFullError extends Error {
  override name = "ListFullError";
}

/**
 * The lists read from SQLite, kept in memory, so that a listing answers as fast as from the
 * in-memory store this plugin once had (a query costs more than the rest of a request). This
 * process's writes drop their user's list after they commit; no other process writes the file
 * (the lock of `openDatabase`). Not on PostgreSQL, which other instances write.
 */
export class ListCache {
  /** Past this many lists (about 50 MB at most), the cache starts again from empty. */
  static readonly MAX_LISTS = 1000;
  readonly #lists = new Map<string, readonly Todo[]>();
  /** Changes when kept lists may be out of date, so a list read before is not kept after. */
  #generation = 0;

  /** The user's list, if kept. */
  get(user: string): readonly Todo[] | undefined {
    return this.#lists.get(user);
  }

  /** To pass to {@link keep} with a list read after this call. */
  get generation(): number {
    return this.#generation;
  }

  /** Keeps a list read at `generation`, unless a list was dropped since. */
  keep(user: string, todos: readonly Todo[], generation: number): void {
    if (generation !== this.#generation) {
      return;
    }
    if (this.#lists.size >= ListCache.MAX_LISTS && !this.#lists.has(user)) {
      this.#lists.clear();
    }
    this.#lists.set(user, todos);
  }

  /** Forgets the user's list: it changed. */
  drop(user: string): void {
    this.#lists.delete(user);
    this.#generation += 1;
  }
}

/** The TODO store: one per database, as it keeps what it reads (see {@link ListCache}). */
export class Store {
  readonly #db: Database;
  /** On SQLite only (see {@link ListCache}). */
  readonly #cache: ListCache | null;

  constructor(db: Database) {
    this.#db = db;
    this.#cache = db.dialect === "sqlite" ? new ListCache() : null;
  }

  /** The user's items, oldest first. */
  async list(user: string): Promise<readonly Todo[]> {
    const cached = this.#cache?.get(user);
    if (cached !== undefined) {
      return cached;
    }
    const generation = this.#cache?.generation ?? 0;
    const rows = await this.#db.query(
      "SELECT id, todo FROM todos WHERE username = $1 ORDER BY id",
      [user],
    );
    const todos = rows.map((row) => ({ id: String(row["id"]), todo: String(row["todo"]) }));
    this.#cache?.keep(user, todos, generation);
    return todos;
  }

  /**
   * Adds an item to the user's list and returns it.
   *
   * @throws ListFullError if the list is full; the database's error if it failed.
   */
  add(user: string, text: string): Promise<Todo> {
    return this.#write(user, async (tx) => {
      // Counts the item, unless the list is full: one statement, so concurrent adds cannot
      // both take the last place.
      const counted = await tx.query(
        "INSERT INTO quotas (key, used) VALUES ($1, 1) ON CONFLICT (key) DO UPDATE " +
          "SET used = quotas.used + 1 WHERE quotas.used < $2 RETURNING used",
        [`todos:${user}`, MAX_TODOS_PER_USER],
      );
      if (counted.length === 0) {
        throw new ListFullError(`the list already holds ${MAX_TODOS_PER_USER} items`);
      }
      const [row] = await tx.query(
        "INSERT INTO todos (username, todo) VALUES ($1, $2) RETURNING id",
        [user, text],
      );
      return { id: String(row?.["id"]), todo: text };
    });
  }

  /** Deletes the user's item with this id; false if there is none. */
  delete(user: string, id: string): Promise<boolean> {
    // Ids are the decimal text of the row's number; any other text names no item.
    const number = Number(id);
    if (!/^[1-9][0-9]*$/.test(id) || !Number.isSafeInteger(number)) {
      return Promise.resolve(false);
    }
    return this.#write(user, async (tx) => {
      const deleted = await tx.query(
        "DELETE FROM todos WHERE id = $1 AND username = $2 RETURNING id",
        [number, user],
      );
      if (deleted.length === 0) {
        return false;
      }
      await tx.query("UPDATE quotas SET used = used - 1 WHERE key = $1", [`todos:${user}`]);
      return true;
    });
  }

  /** Runs `work` in a transaction that changes the user's list, then drops the kept copy. */
  async #write<R>(user: string, work: (tx: Queries) => Promise<R>): Promise<R> {
    try {
      return await this.#db.transaction(work);
    } finally {
      this.#cache?.drop(user);
    }
  }
}
