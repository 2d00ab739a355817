/**
 * Runs before `npm start`, `npm test` and `npm run build`: installs the dependencies with
 * `npm install` when one of those in `package.json` is missing (a fresh clone), and does nothing
 * otherwise, so a later start does not install anything again. After changing the dependencies
 * in `package.json`, run `npm install` yourself. Plain JavaScript: it runs before the TypeScript
 * compiler is installed.
 */

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const manifest = JSON.parse(readFileSync("package.json", "utf8"));
const names = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies });
const missing = names.filter((name) => !existsSync(join("node_modules", name, "package.json")));
if (missing.length > 0) {
  console.error(`Installing the dependencies (${missing.join(", ")} missing): npm install`);
  // npm names itself in npm_execpath when it runs a script; run that npm, with this Node.js.
  const npm = process.env["npm_execpath"];
  const args = ["install", "--no-audit", "--no-fund"];
  const result = npm
    ? spawnSync(process.execPath, [npm, ...args], { stdio: "inherit" })
    : spawnSync("npm", args, { stdio: "inherit", shell: process.platform === "win32" });
  if (result.status !== 0) {
    console.error("error: `npm install` failed (see above); fix that and run this again");
    process.exit(result.status ?? 1);
  }
}
