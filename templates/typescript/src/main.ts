/**
 * Starts the plugin server: reads `.env` and the settings, opens the database, then serves
 * until SIGTERM or Ctrl-C.
 */

import { createAdaptorServer } from "@hono/node-server";

import { createApp } from "./app.js";
import { configFromEnv } from "./config.js";
import { loadEnvFile } from "./env-file.js";

/** How long requests in flight get to finish after a shutdown signal, in milliseconds. */
const SHUTDOWN_GRACE_MS = 3000;

function fail(message: string): never {
  console.error(`error: ${message}`);
  process.exit(1);
}

// `node:sqlite` came without a flag in Node.js 22.13.
const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 13)) {
  fail(`this plugin needs Node.js 22.13 or newer (this is ${process.version})`);
}

let plugin: Awaited<ReturnType<typeof createApp>>;
let config: ReturnType<typeof configFromEnv>;
try {
  // Settings come from the environment; a `.env` in the working directory fills in what the
  // real environment does not set.
  loadEnvFile(".env");
  config = configFromEnv(process.env);
  plugin = await createApp(config);
} catch (error) {
  fail((error as Error).message);
}

const server = createAdaptorServer({ fetch: plugin.app.fetch });
server.once("error", (error) => {
  fail(
    `could not listen on ${config.host}:${config.port}: ${error.message}; ` +
      "stop what uses the port or set PORT to another one",
  );
});
server.listen(config.port, config.host, () => {
  const url = config.publicUrl;
  console.log(
    `${plugin.documents.nameForHuman} is running at ${url} ` +
      `(listening on ${config.host}:${config.port})`,
  );
  console.log(`  manifest: ${url}/.well-known/ai-plugin.json`);
  console.log(`  spec:     ${url}/openapi.yaml`);
  console.log(`  MCP:      ${url}/mcp`);
});

// On Ctrl-C or SIGTERM, stop accepting, let requests in flight finish, and exit at the latest
// after SHUTDOWN_GRACE_MS even if a client never finishes its request.
const shutdown = (): void => {
  server.close(() => void plugin.close().finally(() => process.exit(0)));
  if ("closeIdleConnections" in server) {
    server.closeIdleConnections();
  }
  setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS).unref();
};
process.once("SIGTERM", shutdown);
process.once("SIGINT", shutdown);
