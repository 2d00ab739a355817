/**
 * The JSON file under both stores: reopening, atomic writes, group commits, failures and a
 * corrupt file.
 */

import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { test } from "node:test";

import { JsonFile } from "../src/json-file.js";
import type { JsonFormat } from "../src/json-file.js";
import { tempDataPath } from "./support.js";

class TestFileError extends Error {
  override name = "TestFileError";
}

/** A list of numbers, as pretty JSON. */
const NUMBERS: JsonFormat<number[]> = {
  what: "test file",
  error: TestFileError,
  empty: () => [],
  parse: (text) => {
    const value: unknown = JSON.parse(text);
    if (!Array.isArray(value) || !value.every((n) => typeof n === "number")) {
      throw new Error("expected a list of numbers");
    }
    return value as number[];
  },
  serialize: (value) => JSON.stringify(value, null, 2),
  copy: (value) => [...value],
};

function numbers(file: JsonFile<number[]>): number[] {
  return file.read((value) => [...value]);
}

/** {@link NUMBERS}, counting how often the value is serialized: once on opening, once a write. */
function counted(): JsonFormat<number[]> & { serialized: number } {
  const format = {
    ...NUMBERS,
    serialized: 0,
    serialize: (value: number[]) => {
      format.serialized += 1;
      return NUMBERS.serialize(value);
    },
  };
  return format;
}

/** Lets the event loop turn once: a write that was due has started, and not finished. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Makes every write to `path` fail, leaving the file as it is, until the returned function. */
function failWrites(path: string): () => void {
  // A folder where the temporary file should be makes opening it fail.
  mkdirSync(`${path}.tmp`, { recursive: true });
  return () => rmSync(`${path}.tmp`, { recursive: true });
}

test("changes survive reopening, and no temporary file is left behind", async () => {
  const path = tempDataPath();
  const file = JsonFile.open(path, NUMBERS);
  assert.equal(await file.update((value) => value.push(7)), 1);
  assert.deepEqual(numbers(JsonFile.open(path, NUMBERS)), [7]);
  assert.equal(readFileSync(path, "utf8"), "[\n  7\n]");
  assert.deepEqual(readdirSync(dirname(path)), ["todos.json"]);
});

test("a corrupt file is reported with its name, not replaced", () => {
  const path = tempDataPath();
  mkdirSync(dirname(path), { recursive: true });
  for (const text of ["{ not json", '["a"]', ""]) {
    writeFileSync(path, text);
    assert.throws(
      () => JsonFile.open(path, NUMBERS),
      (error: Error) =>
        error instanceof TestFileError &&
        error.message.startsWith(`the test file \`${path}\` is not valid (`) &&
        error.message.endsWith("); fix or move it, or set DATA_PATH to another file"),
      text,
    );
    assert.equal(readFileSync(path, "utf8"), text);
  }
});

test("a file that cannot be read is reported with its name", () => {
  const path = tempDataPath();
  mkdirSync(path, { recursive: true });
  assert.throws(
    () => JsonFile.open(path, NUMBERS),
    (error: Error) =>
      error instanceof TestFileError &&
      error.message.startsWith(`could not read the test file \`${path}\`: `),
  );
});

test("a failed write leaves the value unchanged, and later changes still work", async () => {
  const path = tempDataPath();
  const file = JsonFile.open(path, NUMBERS);
  await file.update((value) => value.push(1));
  // A folder where the file should be makes the final rename fail.
  rmSync(path);
  mkdirSync(path);
  await assert.rejects(file.update((value) => value.push(2)));
  assert.deepEqual(numbers(file), [1]);
  rmSync(path, { recursive: true });
  await file.update((value) => value.push(3));
  assert.deepEqual(numbers(JsonFile.open(path, NUMBERS)), [1, 3]);
});

test("an unchanged value is not written", async () => {
  const path = tempDataPath();
  const file = JsonFile.open(path, NUMBERS);
  assert.equal(await file.update((value) => value.length), 0);
  assert.ok(!existsSync(dirname(path)));
});

test("a change that throws writes nothing, and later changes still run", async () => {
  const path = tempDataPath();
  const file = JsonFile.open(path, NUMBERS);
  await assert.rejects(
    file.update((value) => {
      value.push(1);
      throw new Error("refused");
    }),
    /refused/,
  );
  assert.deepEqual(numbers(file), []);
  assert.ok(!existsSync(path));
  await file.update((value) => value.push(2));
  assert.deepEqual(numbers(JsonFile.open(path, NUMBERS)), [2]);
});

test("a change that throws among others loses only its own changes", async () => {
  const path = tempDataPath();
  const file = JsonFile.open(path, NUMBERS);
  const results = await Promise.allSettled([
    file.update((value) => value.push(1)),
    file.update((value) => {
      value.push(2);
      throw new Error("refused");
    }),
    file.update((value) => value.push(3)),
  ]);
  assert.deepEqual(
    results.map((result) => result.status),
    ["fulfilled", "rejected", "fulfilled"],
  );
  assert.deepEqual(numbers(JsonFile.open(path, NUMBERS)), [1, 3]);
});

test("concurrent changes are all kept, all answered, and share writes", async () => {
  const path = tempDataPath();
  const format = counted();
  const file = JsonFile.open(path, format);
  const lengths = await Promise.all(
    Array.from({ length: 50 }, (_, i) => file.update((value) => value.push(i))),
  );
  assert.deepEqual(
    lengths,
    Array.from({ length: 50 }, (_, i) => i + 1),
  );
  assert.deepEqual(
    numbers(JsonFile.open(path, NUMBERS)),
    Array.from({ length: 50 }, (_, i) => i),
  );
  // Once on opening, then far fewer writes than changes.
  assert.ok(format.serialized - 1 < 50, `${format.serialized - 1} writes`);
});

test("the changes made during a write all go into the next one", async () => {
  const path = tempDataPath();
  const format = counted();
  const file = JsonFile.open(path, format);
  const first = file.update((value) => value.push(0));
  await nextTurn();
  const later = Array.from({ length: 20 }, (_, i) => file.update((value) => value.push(i + 1)));
  assert.deepEqual(await Promise.all([first, ...later]), Array.from({ length: 21 }, (_, i) => i + 1));
  assert.equal(format.serialized, 3);
  assert.deepEqual(numbers(JsonFile.open(path, NUMBERS)), Array.from({ length: 21 }, (_, i) => i));
});

test("a change is read only once its write is on disk", async () => {
  const path = tempDataPath();
  const file = JsonFile.open(path, NUMBERS);
  await file.update((value) => value.push(1));
  const written = file.update((value) => value.push(2));
  assert.deepEqual(numbers(file), [1]);
  await nextTurn();
  assert.deepEqual(numbers(file), [1]);
  // A change sees the changes before it, written or not.
  const seen = file.update((value) => [...value]);
  assert.deepEqual(numbers(file), [1]);
  assert.equal(await written, 2);
  assert.deepEqual(numbers(file), [1, 2]);
  assert.equal(readFileSync(path, "utf8"), "[\n  1,\n  2\n]");
  assert.deepEqual(await seen, [1, 2]);
});

test("a change that changes nothing still waits for the changes it saw", async () => {
  const path = tempDataPath();
  const file = JsonFile.open(path, NUMBERS);
  void file.update((value) => value.push(1));
  const length = await file.update((value) => value.length);
  assert.equal(length, 1);
  assert.deepEqual(numbers(JsonFile.open(path, NUMBERS)), [1]);
});

test("a failed write rejects every change in it and after it, and changes nothing", async () => {
  const path = tempDataPath();
  const file = JsonFile.open(path, NUMBERS);
  await file.update((value) => value.push(1));
  const before = readFileSync(path, "utf8");
  const writable = failWrites(path);
  const failed = [file.update((value) => value.push(2)), file.update((value) => value.push(3))];
  await nextTurn();
  // Made while the failing write runs, on top of its changes: lost with them.
  failed.push(file.update((value) => value.push(4)));
  const results = await Promise.allSettled(failed);
  for (const result of results) {
    assert.equal(result.status, "rejected");
    assert.equal((result.reason as NodeJS.ErrnoException).code, "EISDIR");
  }
  assert.deepEqual(numbers(file), [1]);
  assert.equal(readFileSync(path, "utf8"), before);
  writable();
  assert.equal(await file.update((value) => value.push(5)), 2);
  assert.deepEqual(numbers(file), [1, 5]);
  assert.deepEqual(numbers(JsonFile.open(path, NUMBERS)), [1, 5]);
});
