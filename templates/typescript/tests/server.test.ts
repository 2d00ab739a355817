/**
 * The real server process, as `npm start` runs it: it reads `.env`, listens on `PORT`, stops
 * cleanly on SIGTERM, keeps its items across a restart, and refuses bad settings.
 */

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import type { IncomingMessage } from "node:http";
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

/** A hung server fails its test instead of hanging the run. */
const LIMIT = { timeout: 60_000 };

/** A server process and everything it printed so far. */
interface Running {
  readonly child: ChildProcess;
  readonly output: () => string;
}

/** Every server a test started; each is killed when its test ends, even if it failed. */
const started = new Set<ChildProcess>();

test.afterEach(() => {
  for (const child of started) {
    child.kill("SIGKILL");
  }
  started.clear();
});

/** Runs `node dist/src/main.js` in `cwd` with only `env` (and `PATH`) in its environment. */
function spawnServer(cwd: string, env: Record<string, string>): Running {
  const child = spawn(process.execPath, [MAIN], {
    cwd,
    env: { PATH: process.env["PATH"] ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.add(child);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

/** Starts the server and waits until it says it is running. */
async function start(cwd: string, env: Record<string, string>): Promise<Running> {
  const running = spawnServer(cwd, env);
  const deadline = Date.now() + 20_000;
  while (!running.output().includes("is running at")) {
    if (running.child.exitCode !== null || Date.now() > deadline) {
      assert.fail(`the server did not start:\n${running.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return running;
}

/** Waits for the process to exit; its exit code. */
async function exitCode(running: Running): Promise<number | null> {
  if (running.child.exitCode !== null) {
    return running.child.exitCode;
  }
  const [code] = (await once(running.child, "exit")) as [number | null];
  return code;
}

/** The status of a GET of `path`, sent exactly as it is (fetch would resolve `..` first). */
async function statusOf(port: number, path: string): Promise<number | undefined> {
  const sent = request({ host: "127.0.0.1", port, path, headers: authHeaders() });
  sent.end();
  const [response] = (await once(sent, "response")) as [IncomingMessage];
  response.resume();
  return response.statusCode;
}

test("the server reads .env, serves, stops on SIGTERM and keeps its items", LIMIT, async () => {
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
  first.child.kill("SIGTERM");
  assert.equal(await exitCode(first), 0);

  const second = await start(cwd, env);
  const listed = await fetch(`${base}${LIST}`, { headers: authHeaders() });
  assert.deepEqual(await listed.json(), { todos: [item] });
  // The path is matched as sent: `.` and `..` segments are not resolved.
  assert.equal(await statusOf(port, `/x/..${LIST}`), 404);
  assert.equal(await statusOf(port, `/todos/./..${LIST}`), 404);
  second.child.kill("SIGTERM");
  assert.equal(await exitCode(second), 0);
});

test("bad settings stop the server with a message naming the variable", LIMIT, async () => {
  const cwd = join(tempDataPath(), "..");
  mkdirSync(cwd, { recursive: true });
  const running = spawnServer(cwd, {
    PORT: "not-a-port",
    SERVICE_AUTH_TOKEN: "x",
    USER_TOKENS: "a:b",
  });
  assert.equal(await exitCode(running), 1);
  assert.match(running.output(), /^error: PORT must be a number/);
});

test("a corrupt store stops the server instead of being replaced", LIMIT, async () => {
  const dataPath = tempDataPath();
  mkdirSync(join(dataPath, ".."), { recursive: true });
  writeFileSync(dataPath, "{ not json");
  const running = spawnServer(join(dataPath, ".."), {
    PORT: String(await freePort()),
    DATA_PATH: dataPath,
    SERVICE_AUTH_TOKEN: "x",
    USER_TOKENS: "a:b",
  });
  assert.equal(await exitCode(running), 1);
  assert.match(running.output(), /is not valid/);
});
