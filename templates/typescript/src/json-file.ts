/**
 * A value kept in one JSON file, rewritten atomically on every change: the TODO store and the
 * OAuth grants both live on it.
 *
 * Changes are made one at a time, each written to a temporary file that is flushed to disk and
 * then renamed over the old one, so a crash leaves either the old file or the new one, never a
 * torn one, and concurrent requests never lose an update.
 */

import { readFileSync } from "node:fs";
import { mkdir, open, rename } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

/** How a value of type `T` is kept in its file. */
export interface JsonFormat<T> {
  /** What the file is, as its errors name it: "store", "OAuth store". */
  readonly what: string;
  /** What {@link JsonFile.open} throws for a file that exists but cannot be used. */
  readonly error: new (message: string) => Error;
  /** The value while the file does not exist yet. */
  empty(): T;
  /** The value in the file's text; throws an Error saying what is wrong with it. */
  parse(text: string): T;
  /** The file's text: the same for equal values, so an unchanged value is not written. */
  serialize(value: T): string;
  /** A copy for a change to work on, so that the value stays as it was if the write fails. */
  copy(value: T): T;
}

/** A `T` persisted in the JSON file at `path`. */
export class JsonFile<T> {
  readonly #path: string;
  readonly #format: JsonFormat<T>;
  #value: T;
  #text: string;
  /** The change in progress; the next one waits for it. */
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(path: string, format: JsonFormat<T>, value: T) {
    this.#path = path;
    this.#format = format;
    this.#value = value;
    this.#text = format.serialize(value);
  }

  /**
   * Reads the file at `path`, or starts from `format.empty()` if it does not exist yet. A file
   * that exists but cannot be read is an error: it is never silently replaced.
   *
   * @throws `format.error`, with a message naming the file.
   */
  static open<T>(path: string, format: JsonFormat<T>): JsonFile<T> {
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") {
        return new JsonFile(path, format, format.empty());
      }
      throw new format.error(
        `could not read the ${format.what} \`${path}\`: ${(error as Error).message}`,
      );
    }
    let value: T;
    try {
      value = format.parse(text);
    } catch (error) {
      throw new format.error(
        `the ${format.what} \`${path}\` is not valid (${(error as Error).message}); fix or ` +
          "move it, or set DATA_PATH to another file",
      );
    }
    return new JsonFile(path, format, value);
  }

  /** Reads the value as it was last written. */
  read<R>(f: (value: T) => R): R {
    return f(this.#value);
  }

  /**
   * Runs `change` on a copy of the value, after every earlier change has finished, and writes
   * the result to disk before anyone sees it. If the write fails, the value stays as it was.
   * Nothing is written when `change` changed nothing.
   */
  update<R>(change: (value: T) => R): Promise<R> {
    const run = async (): Promise<R> => {
      const next = this.#format.copy(this.#value);
      const result = change(next);
      const text = this.#format.serialize(next);
      if (text !== this.#text) {
        await writeAtomically(this.#path, text);
        this.#value = next;
        this.#text = text;
      }
      return result;
    };
    const done = this.#queue.then(run, run);
    this.#queue = done.catch(() => undefined);
    return done;
  }
}

/**
 * Replaces the file at `path` with `text`: written to a temporary file beside it, flushed to
 * disk, then renamed over it, so a crash leaves the old file or the new one, never a torn one.
 */
async function writeAtomically(path: string, text: string): Promise<void> {
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
