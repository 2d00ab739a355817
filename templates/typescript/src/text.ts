/**
 * Text rules shared by the settings and the API. They follow Unicode, not JavaScript's
 * UTF-16 quirks, so every stack of this plugin counts and trims alike.
 */

// Unicode's White_Space property (what Rust's `str::trim` and Python's `str.strip` agree on).
// JavaScript's own `trim` also strips U+FEFF, which is not white space, and keeps U+0085.
const WHITE_SPACE =
  "\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const LEADING = new RegExp(`^[${WHITE_SPACE}]+`);
const TRAILING = new RegExp(`[${WHITE_SPACE}]+$`);
const SPACES = new RegExp(`[${WHITE_SPACE}]+`);

/** `text` without leading and trailing Unicode white space. */
export function trimWhiteSpace(text: string): string {
  return text.replace(LEADING, "").replace(TRAILING, "");
}

/** The words of `text`: what lies between runs of Unicode white space, none of them empty. */
export function splitWhiteSpace(text: string): string[] {
  return text.split(SPACES).filter((word) => word !== "");
}

/**
 * Whether the UTF-16 unit `c` is in ECMA-262's `\s`, which JSON Schema's `pattern` uses: the
 * spec's `pattern: "\\S"` and the server refuse the same TODO texts. Listed rather than
 * tested with `\s`, so it reads the same as the Rust and Python lists.
 */
function isEcmaSpace(c: number): boolean {
  return (
    (c >= 0x09 && c <= 0x0d) ||
    c === 0x20 ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/** A TODO text without ECMA-262 white space (`\s`) at either end (every such unit is BMP). */
export function trimSpaces(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isEcmaSpace(text.charCodeAt(start))) {
    start += 1;
  }
  while (end > start && isEcmaSpace(text.charCodeAt(end - 1))) {
    end -= 1;
  }
  return text.slice(start, end);
}

/** Whether `text` is empty or only white space. */
export function isBlank(text: string): boolean {
  return trimWhiteSpace(text) === "";
}

/** The number of characters (Unicode code points, not UTF-16 units: "é" and "🎉" are one each). */
export function charCount(text: string): number {
  let count = 0;
  for (const _ of text) {
    count += 1;
  }
  return count;
}

/** Whether `text` is valid Unicode: no half of a surrogate pair on its own. */
export function isWellFormed(text: string): boolean {
  return !/\p{Cs}/u.test(text);
}
