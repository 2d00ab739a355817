/** The JSON file under both stores: reopening, atomic writes, failures and a corrupt file. */

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

test("concurrent changes are serialized and all kept", async () => {
  const path = tempDataPath();
  const file = JsonFile.open(path, NUMBERS);
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
});
