/** The `.env` reader: the usual format, and real environment variables win. */

import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import { EnvFileError, loadEnvFile, parseEnv } from "../src/env-file.js";

test("plain, quoted and commented values", () => {
  const parsed = parseEnv(
    [
      "# a comment",
      "",
      "PLAIN=value",
      "SPACED =  padded value   # a comment",
      "HASH=a#b",
      "export EXPORTED=yes",
      "SINGLE='lit $PLAIN \\n'",
      'DOUBLE="line\\nnext \\"q\\" \\$PLAIN"',
      'MULTI="one',
      'two"',
      "EMPTY=",
      "WINDOWS=crlf\r",
    ].join("\n"),
  );
  assert.deepEqual(Object.fromEntries(parsed), {
    PLAIN: "value",
    SPACED: "padded value",
    HASH: "a#b",
    EXPORTED: "yes",
    SINGLE: "lit $PLAIN \\n",
    DOUBLE: 'line\nnext "q" $PLAIN',
    MULTI: "one\ntwo",
    EMPTY: "",
    WINDOWS: "crlf",
  });
});

test("variables are substituted, the environment's first", () => {
  const parsed = parseEnv(
    'PORT=8080\nURL=http://localhost:${PORT}/$NAME\nQUOTED="${HOME_DIR}/x"\nESCAPED=\\$PORT',
    (name) => (name === "HOME_DIR" ? "/home/me" : undefined),
  );
  assert.equal(parsed.get("URL"), "http://localhost:8080/");
  assert.equal(parsed.get("QUOTED"), "/home/me/x");
  assert.equal(parsed.get("ESCAPED"), "$PORT");
});

test("malformed lines are errors with their line number", () => {
  assert.throws(() => parseEnv("A=1\nnot an assignment"), /line 2/);
  assert.throws(() => parseEnv('A="never closed'), /never closed/);
  assert.throws(() => parseEnv("A='x' trailing"), /after the closing quote/);
});

test("the environment wins over the file, and a missing file sets nothing", () => {
  const dir = mkdtempSync(join(tmpdir(), "env-test-"));
  const path = join(dir, ".env");
  writeFileSync(path, "SET_BY_FILE=file\nALREADY_SET=file\nEMPTY_IN_ENV=file\n");
  const env: NodeJS.ProcessEnv = { ALREADY_SET: "env", EMPTY_IN_ENV: "" };
  loadEnvFile(path, env);
  assert.deepEqual(env, { ALREADY_SET: "env", EMPTY_IN_ENV: "", SET_BY_FILE: "file" });
  loadEnvFile(join(dir, "missing.env"), env);
  writeFileSync(path, "broken line\n");
  assert.throws(() => loadEnvFile(path, {}), EnvFileError);
});
