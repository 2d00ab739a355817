/**
 * The real server process, as `npm start` runs it: it reads `.env`, listens on `PORT`, stops
 * cleanly on SIGTERM, keeps its items across a restart, and refuses bad settings.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { test } from "node:test";

import { PROJECT_DIR } from "../src/documents.js";
import { LIST, authHeaders, tempDataPath } from "./support.js";

const MAIN = join(PROJECT_DIR, "dist", "src", "main.js");

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  assert.ok(address !== null && typeof address === "object");
  return address.port;
}

interface Running {
  readonly child: ChildProcess;
  readonly output: () => string;
}

/** Starts the server in `cwd` with `env` and waits until it says it is running. */
async function start(cwd: string, env: Record<string, string>): Promise<Running> {
  const child = spawn(process.execPath, [MAIN], {
    cwd,
    env: { PATH: process.env["PATH"] ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 20_000;
  while (!output.includes("is running at")) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      assert.fail(`the server did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { child, output: () => output };
}

/** Sends SIGTERM and returns the exit code. */
async function stop(running: Running): Promise<number | null> {
  const exited = once(running.child, "exit");
  running.child.kill("SIGTERM");
  const [code] = (await exited) as [number | null];
  return code;
}

test("the server reads .env, serves, stops on SIGTERM and keeps its items", async () => {
  const dataPath = tempDataPath();
  const cwd = join(dataPath, "..", "..", "work");
  mkdirSync(cwd, { recursive: true });
  const port = await freePort();
  // The real environment wins over .env: PORT comes from the environment.
  writeFileSync(
    join(cwd, ".env"),
    [
      "PORT=1",
      `DATA_PATH=${dataPath}`,
      "SERVICE_AUTH_TOKEN=test-service-token",
      "USER_TOKENS=alice:alice-token,bob:bob-token",
    ].join("\n"),
  );
  const env = { PORT: String(port) };
  const base = `http://127.0.0.1:${port}`;

  const first = await start(cwd, env);
  assert.ok(first.output().includes(`http://localhost:${port}`), first.output());
  const added = await fetch(`${base}${LIST}`, {
    method: "POST",
    headers: { ...authHeaders(), "content-type": "application/json" },
    body: JSON.stringify({ todo: "survive a restart" }),
  });
  assert.equal(added.status, 201);
  const item = (await added.json()) as unknown;
  assert.equal(await stop(first), 0);

  const second = await start(cwd, env);
  const listed = await fetch(`${base}${LIST}`, { headers: authHeaders() });
  assert.deepEqual(await listed.json(), { todos: [item] });
  assert.equal(await stop(second), 0);
});

test("bad settings stop the server with a message naming the variable", async () => {
  const cwd = join(tempDataPath(), "..");
  mkdirSync(cwd, { recursive: true });
  const child = spawn(process.execPath, [MAIN], {
    cwd,
    env: {
      PATH: process.env["PATH"] ?? "",
      PORT: "not-a-port",
      SERVICE_AUTH_TOKEN: "x",
      USER_TOKENS: "a:b",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, "exit")) as [number | null];
  assert.equal(code, 1);
  assert.match(stderr, /^error: PORT must be a number/);
});

test("a corrupt store stops the server instead of being replaced", async () => {
  const dataPath = tempDataPath();
  mkdirSync(join(dataPath, ".."), { recursive: true });
  writeFileSync(dataPath, "{ not json");
  const child = spawn(process.execPath, [MAIN], {
    cwd: join(dataPath, ".."),
    env: {
      PATH: process.env["PATH"] ?? "",
      PORT: String(await freePort()),
      DATA_PATH: dataPath,
      SERVICE_AUTH_TOKEN: "x",
      USER_TOKENS: "a:b",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, "exit")) as [number | null];
  assert.equal(code, 1);
  assert.match(stderr, /is not valid/);
});
