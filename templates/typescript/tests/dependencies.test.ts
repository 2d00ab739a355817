/** `scripts/dependencies.mjs`: installs only when a dependency is missing, with npm's own npm. */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import { PROJECT_DIR } from "../src/documents.js";

const SCRIPT = join(PROJECT_DIR, "scripts", "dependencies.mjs");

/** A project folder with `a` and `@scope/b` as dependencies, both installed. */
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "plugin-deps-"));
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ dependencies: { a: "^1.0.0" }, devDependencies: { "@scope/b": "^2.0.0" } }),
  );
  for (const name of ["a", "@scope/b"]) {
    mkdirSync(join(dir, "node_modules", name), { recursive: true });
    writeFileSync(join(dir, "node_modules", name, "package.json"), "{}");
  }
  return dir;
}

/** Runs the script in `dir` with a stand-in npm that records its arguments and exits `code`. */
function run(dir: string, code = 0): { status: number | null; npmArgs: string | undefined } {
  const fakeNpm = join(dir, "fake-npm.mjs");
  const record = join(dir, "npm-args.json");
  writeFileSync(
    fakeNpm,
    `import { writeFileSync } from "node:fs";\n` +
      `writeFileSync(${JSON.stringify(record)}, JSON.stringify(process.argv.slice(2)));\n` +
      `process.exit(${code});\n`,
  );
  rmSync(record, { force: true });
  const result = spawnSync(process.execPath, [SCRIPT], {
    cwd: dir,
    env: { ...process.env, npm_execpath: fakeNpm },
    encoding: "utf8",
  });
  let npmArgs: string | undefined;
  try {
    npmArgs = readFileSync(record, "utf8");
  } catch {
    npmArgs = undefined;
  }
  return { status: result.status, npmArgs };
}

test("nothing is installed when every dependency is there", () => {
  const { status, npmArgs } = run(project());
  assert.equal(status, 0);
  assert.equal(npmArgs, undefined);
});

test("a missing dependency runs npm ci, which installs package-lock.json", () => {
  for (const name of ["a", "@scope/b"]) {
    const dir = project();
    rmSync(join(dir, "node_modules", name), { recursive: true });
    const { status, npmArgs } = run(dir);
    assert.equal(status, 0, name);
    assert.deepEqual(JSON.parse(npmArgs ?? "null"), ["ci", "--no-audit", "--no-fund"]);
  }
});

test("a failed install stops the start with npm's exit code", () => {
  const dir = project();
  rmSync(join(dir, "node_modules"), { recursive: true });
  assert.equal(run(dir, 3).status, 3);
});
