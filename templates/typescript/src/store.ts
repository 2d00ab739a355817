/**
 * Durable TODO storage: one JSON file (`DATA_PATH`), rewritten atomically on every change.
 *
 * Changes are made one at a time, each written to a temporary file that is flushed to disk and
 * then renamed over the old one, so a crash leaves either the old file or the new one, never a
 * torn one, and concurrent requests never lose an update. The file has the same format in
 * every stack of this plugin.
 */

import { mkdir, open, rename } from "node:fs/promises";
import { readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";

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
  readonly #path: string;
  #data: Data;
  #text: string;
  /** The change in progress; the next one waits for it. */
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(path: string, data: Data) {
    this.#path = path;
    this.#data = data;
    this.#text = serialize(data);
  }

  /**
   * Opens the store at `path`, or starts an empty one if the file does not exist yet. A file
   * that exists but cannot be read is an error: it is never silently replaced.
   *
   * @throws StoreFileError
   */
  static open(path: string): Store {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        return new Store(path, { nextId: 0, users: new Map() });
      }
      throw new StoreFileError(`could not read the store \`${path}\`: ${(error as Error).message}`);
    }
    try {
      return new Store(path, parse(text));
    } catch (error) {
      throw new StoreFileError(
        `the store \`${path}\` is not valid (${(error as Error).message}); fix or move it, ` +
          "or set DATA_PATH to another file",
      );
    }
  }

  /** The user's items, oldest first. */
  list(user: string): Todo[] {
    return [...(this.#data.users.get(user) ?? [])];
  }

  /**
   * Adds an item to the user's list and returns it.
   *
   * @throws ListFullError if the list is full; the error of the write if it failed.
   */
  add(user: string, text: string): Promise<Todo> {
    return this.#update((data) => {
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
    return this.#update((data) => {
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

  /**
   * Runs `change` on a copy of the data, after every earlier change has finished, and writes
   * the result to disk before anyone sees it. If the write fails, the data stays as it was.
   * Nothing is written when `change` changed nothing.
   */
  #update<R>(change: (data: Data) => R): Promise<R> {
    const run = async (): Promise<R> => {
      const next: Data = { nextId: this.#data.nextId, users: new Map(this.#data.users) };
      const result = change(next);
      const text = serialize(next);
      if (text !== this.#text) {
        await writeAtomically(this.#path, text);
        this.#data = next;
        this.#text = text;
      }
      return result;
    };
    const done = this.#queue.then(run, run);
    this.#queue = done.catch(() => undefined);
    return done;
  }
}

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

/**
 * Replaces the file at `path` with `text`: written to a temporary file beside it, flushed to
 * disk, then renamed over it, so a crash leaves the old file or the new one, never a torn one.
 */
export async function writeAtomically(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const temporary = join(dir, `${basename(path)}.tmp`);
  const file = await open(temporary, "w");
  try {
    await file.writeFile(text, "utf8");
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
  // Make the rename itself durable (where the platform allows opening a directory).
  try {
    const directory = await open(dir, "r");
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
  } catch {
    // Not possible on every platform (e.g. Windows); the rename is still atomic.
  }
}
