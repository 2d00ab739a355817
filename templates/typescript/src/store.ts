/**
 * Durable TODO storage: one JSON file (`DATA_PATH`), rewritten atomically on every change (see
 * `json-file.ts`). The file has the same format in every stack of this plugin.
 */

import { JsonFile } from "./json-file.js";
import type { JsonFormat } from "./json-file.js";

/**
 * How many items one user's list may hold, which keeps a listing far below the
 * 100,000-character response limit of the plugin host.
 */
export const MAX_TODOS_PER_USER = 100;

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
  users: Map<string, Todo[]>;
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
 * place, so a copy of the map is enough.
 */
const FORMAT: JsonFormat<Data> = {
  what: "store",
  error: StoreFileError,
  empty: () => ({ nextId: 0, users: new Map() }),
  parse,
  serialize,
  copy: (data) => ({ nextId: data.nextId, users: new Map(data.users) }),
};

/** The file's JSON: `{"next_id": 2, "users": {"alice": [{"id": "2", "todo": "..."}]}}`. */
function serialize(data: Data): string {
  // Users sorted by name (by UTF-8 bytes), so the file is the same whichever stack wrote it.
  // The map is written by hand: a JavaScript object would put names like "9" and "10" first,
  // in numeric order.
  const users = [...data.users].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const entries = users.map(([user, todos]) => {
    const items = JSON.stringify(
      todos.map(({ id, todo }) => ({ id, todo })),
      null,
      2,
    );
    return `    ${JSON.stringify(user)}: ${items.replaceAll("\n", "\n    ")}`;
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
  const users = new Map<string, Todo[]>();
  for (const [user, todos] of Object.entries(rawUsers)) {
    if (!Array.isArray(todos)) {
      throw new Error(`the items of \`${user}\` must be a list`);
    }
    users.set(
      user,
      todos.map((todo: unknown) => {
        if (!isObject(todo) || typeof todo["id"] !== "string" || typeof todo["todo"] !== "string") {
          throw new Error(`every item of \`${user}\` needs a string \`id\` and \`todo\``);
        }
        return { id: todo["id"], todo: todo["todo"] };
      }),
    );
  }
  return { nextId, users };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
