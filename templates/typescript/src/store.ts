/**
 * Durable TODO storage: one JSON file (`DATA_PATH`), rewritten atomically after every change,
 * concurrent changes together (see `json-file.ts`). The file has the same format in every stack
 * of this plugin.
 */

import { JsonFile, compareUtf8 } from "./json-file.js";
import type { JsonFormat } from "./json-file.js";
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
  /** Stable and unique: deleting by id never hits the wrong item. */
  readonly id: string;
  /** The text. */
  readonly todo: string;
}

interface Data {
  /** The next id to hand out; ids are never reused. */
  nextId: number;
  /** Each user's items, oldest first. */
  readonly users: Lists;
}

/** A user and their items, as the file lists them. */
type Entry = readonly [user: string, todos: readonly Todo[]];

/**
 * Each user's items, cheap to copy, since every change works on a copy, and cheap to write.
 *
 * Most entries sit in one list sorted as the file has them, which copies share and never
 * change; each copy keeps its own recent changes beside it, and merges them into a new list when
 * it is written. So a change costs what the changes since the last write cost, not the size of
 * the store, and a write does not sort every user again.
 */
class Lists {
  /** Every user's items as of the last merge, sorted by user. Shared, so never changed. */
  #settled: readonly Entry[];
  /** Changes since: a user's new items, or `undefined` for a deleted user. */
  #changes: Map<string, readonly Todo[] | undefined>;

  constructor(
    settled: readonly Entry[] = [],
    changes: Map<string, readonly Todo[] | undefined> = new Map(),
  ) {
    this.#settled = settled;
    this.#changes = changes;
  }

  /** The user's items; they are replaced, never changed in place. */
  get(user: string): readonly Todo[] | undefined {
    if (this.#changes.has(user)) {
      return this.#changes.get(user);
    }
    const entry = this.#settled[position(this.#settled, user)];
    return entry?.[0] === user ? entry[1] : undefined;
  }

  /** Gives the user these items. */
  set(user: string, todos: readonly Todo[]): void {
    this.#changes.set(user, todos);
  }

  /** Forgets the user and their items. */
  delete(user: string): void {
    this.#changes.set(user, undefined);
  }

  /** A copy whose changes are its own: a small one, since it shares what was written. */
  copy(): Lists {
    // Each change copies the changes since the last write. When a burst of them makes these more
    // than the square root of the entries, merging them first is cheaper: then a change costs
    // at most that root, not the size of the burst.
    if (this.#changes.size > 64 && this.#changes.size ** 2 > this.#settled.length) {
      return new Lists(merge(this.#settled, this.#changes));
    }
    return new Lists(this.#settled, new Map(this.#changes));
  }

  /**
   * Every user's items, sorted by user. Merges the changes first (the value stays the same), so
   * that the copies made from now on start without them.
   */
  sorted(): readonly Entry[] {
    if (this.#changes.size > 0) {
      this.#settled = merge(this.#settled, this.#changes);
      this.#changes = new Map();
    }
    return this.#settled;
  }
}

/** The sorted `entries` with `changes` made to them, without sorting them all again. */
function merge(
  entries: readonly Entry[],
  changes: ReadonlyMap<string, readonly Todo[] | undefined>,
): Entry[] {
  const merged: Entry[] = [];
  let next = 0;
  for (const [user, todos] of [...changes].sort(([a], [b]) => compareUtf8(a, b))) {
    const at = position(entries, user, next);
    for (let i = next; i < at; i += 1) {
      merged.push(entries[i]!);
    }
    next = entries[at]?.[0] === user ? at + 1 : at;
    if (todos !== undefined) {
      merged.push([user, todos]);
    }
  }
  for (let i = next; i < entries.length; i += 1) {
    merged.push(entries[i]!);
  }
  return merged;
}

/** Where `user` is or would be among the sorted `entries`, from `from` on. */
function position(entries: readonly Entry[], user: string, from = 0): number {
  let low = from;
  let high = entries.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (compareUtf8(entries[middle]![0], user) < 0) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  return low;
}

/** The user's list already holds {@link MAX_TODOS_PER_USER} items. */
export class ListFullError extends Error {
  override name = "ListFullError";
}

/** A store file that exists but cannot be used. */
export class StoreFileError extends Error {
  override name = "StoreFileError";
}

/** The TODO store. */
export class Store {
  readonly #file: JsonFile<Data>;

  private constructor(file: JsonFile<Data>) {
    this.#file = file;
  }

  /**
   * Opens the store at `path`, or starts an empty one if the file does not exist yet. A file
   * that exists but cannot be read is an error: it is never silently replaced.
   *
   * @throws StoreFileError
   */
  static open(path: string): Store {
    return new Store(JsonFile.open(path, FORMAT));
  }

  /** The user's items, oldest first. */
  list(user: string): Todo[] {
    return this.#file.read((data) => [...(data.users.get(user) ?? [])]);
  }

  /**
   * Adds an item to the user's list and returns it.
   *
   * @throws ListFullError if the list is full; the error of the write if it failed.
   */
  add(user: string, text: string): Promise<Todo> {
    return this.#file.update((data) => {
      const todos = data.users.get(user) ?? [];
      if (todos.length >= MAX_TODOS_PER_USER) {
        throw new ListFullError(`the list already holds ${MAX_TODOS_PER_USER} items`);
      }
      data.nextId += 1;
      const todo: Todo = { id: String(data.nextId), todo: text };
      data.users.set(user, [...todos, todo]);
      return todo;
    });
  }

  /** Deletes the user's item with this id; false if there is none. */
  delete(user: string, id: string): Promise<boolean> {
    return this.#file.update((data) => {
      const todos = data.users.get(user) ?? [];
      const remaining = todos.filter((todo) => todo.id !== id);
      if (remaining.length === todos.length) {
        return false;
      }
      if (remaining.length === 0) {
        data.users.delete(user);
      } else {
        data.users.set(user, remaining);
      }
      return true;
    });
  }
}

/**
 * How the store is kept in its file. A change replaces a user's list, never changes it in
 * place, so a copy only has to keep its own changes apart (see {@link Lists}).
 */
const FORMAT: JsonFormat<Data> = {
  what: "store",
  error: StoreFileError,
  empty: () => ({ nextId: 0, users: new Lists() }),
  parse,
  serialize,
  copy: (data) => ({ nextId: data.nextId, users: data.users.copy() }),
};

/**
 * Each entry's text in the file, so that a write serializes only the entries changed since the
 * last one. Entries are never changed, so neither is their text.
 */
const entryTexts = new WeakMap<Entry, string>();

/** The file's JSON: `{"next_id": 2, "users": {"alice": [{"id": "2", "todo": "..."}]}}`. */
function serialize(data: Data): string {
  // Users sorted by name (by UTF-8 bytes), so the file is the same whichever stack wrote it.
  // The map is written by hand: a JavaScript object would put names like "9" and "10" first,
  // in numeric order.
  const entries = data.users.sorted().map((entry) => {
    let text = entryTexts.get(entry);
    if (text === undefined) {
      const [user, todos] = entry;
      const items = JSON.stringify(
        todos.map(({ id, todo }) => ({ id, todo })),
        null,
        2,
      );
      // Built by `join`, which makes one flat string: a template string would be a rope of
      // pieces, which the `join` below would walk again on every write.
      text = ["    ", JSON.stringify(user), ": ", items.replaceAll("\n", "\n    ")].join("");
      entryTexts.set(entry, text);
    }
    return text;
  });
  const map = entries.length === 0 ? "{}" : `{\n${entries.join(",\n")}\n  }`;
  return `{\n  "next_id": ${data.nextId},\n  "users": ${map}\n}`;
}

function parse(text: string): Data {
  const raw: unknown = JSON.parse(text);
  if (!isObject(raw)) {
    throw new Error("expected a JSON object");
  }
  const nextId = raw["next_id"];
  if (typeof nextId !== "number" || !Number.isSafeInteger(nextId) || nextId < 0) {
    throw new Error("`next_id` must be a whole number");
  }
  const rawUsers = raw["users"];
  if (!isObject(rawUsers)) {
    throw new Error("`users` must be an object");
  }
  const users = Object.entries(rawUsers).map(([user, todos]): Entry => {
    if (!Array.isArray(todos)) {
      throw new Error(`the items of \`${user}\` must be a list`);
    }
    const items = todos.map((todo: unknown) => {
      if (!isObject(todo) || typeof todo["id"] !== "string" || typeof todo["todo"] !== "string") {
        throw new Error(`every item of \`${user}\` needs a string \`id\` and \`todo\``);
      }
      return { id: todo["id"], todo: todo["todo"] };
    });
    return [user, items];
  });
  return { nextId, users: new Lists(users.sort(([a], [b]) => compareUtf8(a, b))) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
