/**
 * Runs before `npm start`, `npm test` and `npm run build`: installs the dependencies with
 * `npm ci`, the exact versions in `package-lock.json`, when one of those in `package.json` is
 * missing (a fresh clone), and does nothing otherwise, so a later start does not install
 * anything again. After changing the dependencies in `package.json`, run `npm install` yourself:
 * it installs them and updates `package-lock.json` (`npm ci` refuses a lock that no longer
 * matches `package.json`). Plain JavaScript: it runs before the TypeScript compiler is installed.
 */

import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

const manifest = JSON.parse(readFileSync("package.json", "utf8"));
const names = Object.keys({ ...manifest.dependencies, ...manifest.devDependencies });
const missing = names.filter((name) => !existsSync(join("node_modules", name, "package.json")));
if (missing.length > 0) {
  console.error(`Installing the dependencies (${missing.join(", ")} missing): npm ci`);
  // npm names itself in npm_execpath when it runs a script; run that npm, with this Node.js.
  const npm = process.env["npm_execpath"];
  const args = ["ci", "--no-audit", "--no-fund"];
  const result = npm
    ? spawnSync(process.execPath, [npm, ...args], { stdio: "inherit" })
    : spawnSync("npm", args, { stdio: "inherit", shell: process.platform === "win32" });
  if (result.status !== 0) {
    console.error(
      "error: `npm ci` failed (see above); if it says package.json and package-lock.json are " +
        "out of sync, run `npm install` to update the lock, then this again",
    );
    process.exit(result.status ?? 1);
  }
}
