/**
 * Reads a `.env` file into the environment without overriding what is already set, so real
 * environment variables win.
 *
 * The format is the usual one: `NAME=value` lines, `#` comments, an optional `export `, values
 * in single quotes (taken literally) or double quotes (with `\n`, `\t`, `\"`, `\\` and `\$`
 * escapes), and `${NAME}` or `$NAME` in unquoted and double-quoted values replaced by the
 * environment's value or an earlier line's.
 */

import { readFileSync } from "node:fs";

/** A `.env` file that cannot be read or parsed. */
export class EnvFileError extends Error {
  override name = "EnvFileError";
}

/**
 * Sets every variable of the file at `path` that `env` does not have yet. A missing file is
 * not an error: it sets nothing.
 */
export function loadEnvFile(path: string, env: NodeJS.ProcessEnv = process.env): void {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      return;
    }
    throw new EnvFileError(`could not read ${path}: ${(error as Error).message}`);
  }
  let parsed: Map<string, string>;
  try {
    parsed = parseEnv(text, (name) => env[name]);
  } catch (error) {
    throw new EnvFileError(`could not read ${path}: ${(error as Error).message}`);
  }
  for (const [name, value] of parsed) {
    if (env[name] === undefined) {
      env[name] = value;
    }
  }
}

const ASSIGNMENT = /[ \t]*(?:export[ \t]+)?([A-Za-z_][A-Za-z0-9_.]*)[ \t]*=[ \t]*/y;
// Environment values cannot hold NUL, so it can stand for an escaped `$` meanwhile.
const ESCAPED_DOLLAR = "\u0000";
const ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" };

/**
 * The variables in `text`, in order. `lookup` gives the environment's values for `${NAME}`;
 * they win over the file's own.
 */
export function parseEnv(
  text: string,
  lookup: (name: string) => string | undefined = () => undefined,
): Map<string, string> {
  const source = text.replace(/\r\n?/g, "\n");
  const values = new Map<string, string>();
  const resolve = (name: string): string => lookup(name) ?? values.get(name) ?? "";
  let at = 0;
  const lineNumber = (): number => source.slice(0, at).split("\n").length;
  const fail = (why: string): never => {
    throw new Error(`line ${lineNumber()}: ${why}`);
  };
  const lineEnd = (from: number): number => {
    const end = source.indexOf("\n", from);
    return end === -1 ? source.length : end;
  };

  while (at < source.length) {
    const end = lineEnd(at);
    const line = source.slice(at, end).trim();
    if (line === "" || line.startsWith("#")) {
      at = end + 1;
      continue;
    }
    ASSIGNMENT.lastIndex = at;
    const assignment = ASSIGNMENT.exec(source);
    if (assignment === null || assignment.index !== at) {
      return fail("expected NAME=value");
    }
    const name = assignment[1] as string;
    at = ASSIGNMENT.lastIndex;
    const quote = source[at];
    if (quote === "'" || quote === '"') {
      // A quoted value may span lines; it ends at the matching quote.
      let value = "";
      at += 1;
      for (;;) {
        const c = source[at];
        if (c === undefined) {
          return fail(`the ${quote} quote is never closed`);
        }
        at += 1;
        if (c === quote) {
          break;
        }
        if (quote === '"' && c === "\\") {
          const next = source[at] ?? "";
          at += 1;
          value += next === "$" ? ESCAPED_DOLLAR : (ESCAPES[next] ?? `\\${next}`);
        } else {
          value += c;
        }
      }
      const rest = source.slice(at, lineEnd(at)).trim();
      if (rest !== "" && !rest.startsWith("#")) {
        return fail("unexpected text after the closing quote");
      }
      values.set(
        name,
        quote === '"' ? substitute(value, resolve).replaceAll(ESCAPED_DOLLAR, "$") : value,
      );
    } else {
      // An unquoted value ends at the end of the line or at a ` #` comment.
      const raw = source.slice(at, end);
      const comment = raw.search(/[ \t]#/);
      const value = (comment === -1 ? raw : raw.slice(0, comment)).trim();
      const substituted = substitute(value.replaceAll("\\$", ESCAPED_DOLLAR), resolve);
      values.set(name, substituted.replaceAll(ESCAPED_DOLLAR, "$"));
    }
    at = lineEnd(at) + 1;
  }
  return values;
}

function substitute(value: string, resolve: (name: string) => string): string {
  return value.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (_whole: string, braced?: string, bare?: string) => resolve(braced ?? bare ?? ""),
  );
}
