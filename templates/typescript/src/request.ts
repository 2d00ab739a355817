/**
 * Reading requests strictly: path segments and JSON bodies that cannot be decoded are a JSON
 * 400, never a 500 or a silently changed value.
 */

import { ApiError } from "./errors.js";
import { isWellFormed } from "./text.js";

/** The largest request body read, in bytes (2 MiB). */
export const MAX_BODY_BYTES = 2 * 1024 * 1024;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** A request body over {@link MAX_BODY_BYTES}. */
export class BodyTooLargeError extends Error {
  override name = "BodyTooLargeError";
}

/**
 * The path of a request target (`/todos?x=1`) or URL, exactly as the client sent it: not
 * percent-decoded, so `%2F` stays inside one segment, and with any `.` or `..` segments left
 * as they are.
 */
export function rawPath(target: string): string {
  let start = 0;
  if (!target.startsWith("/")) {
    const scheme = target.indexOf("://");
    start = scheme === -1 ? -1 : target.indexOf("/", scheme + 3);
    if (start === -1) {
      return "/";
    }
  }
  const end = target.slice(start).search(/[?#]/);
  return end === -1 ? target.slice(start) : target.slice(start, start + end);
}

/**
 * The query of a request target (`/oauth/authorize?a=1`) or URL, exactly as the client sent
 * it: not decoded, without a fragment; empty when there is none.
 */
export function rawQuery(target: string): string {
  const start = target.indexOf("?");
  if (start === -1) {
    return "";
  }
  const end = target.indexOf("#", start);
  return end === -1 ? target.slice(start + 1) : target.slice(start + 1, end);
}

/**
 * A percent-encoded path segment, decoded. A `%` not followed by two hex digits stays as it
 * is; bytes that are not UTF-8 are a 400.
 */
export function decodeSegment(segment: string): string {
  if (!segment.includes("%")) {
    return segment;
  }
  const bytes: number[] = [];
  for (let i = 0; i < segment.length;) {
    const hex = segment.slice(i + 1, i + 3);
    if (segment[i] === "%" && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(Number.parseInt(hex, 16));
      i += 3;
    } else {
      const code = segment.codePointAt(i) ?? 0;
      bytes.push(...Buffer.from(String.fromCodePoint(code), "utf8"));
      i += code > 0xffff ? 2 : 1;
    }
  }
  try {
    return utf8.decode(Uint8Array.from(bytes));
  } catch {
    throw new ApiError(400, `the path segment \`${segment}\` is not percent-encoded UTF-8`);
  }
}

/** Whether a `Content-Type` names JSON: `application/json` or `application/*+json`. */
export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) {
    return false;
  }
  const essence = (value.split(";")[0] ?? "").trim().toLowerCase();
  const match = /^application\/([^/\s]+)$/.exec(essence);
  return match !== null && (match[1] === "json" || match[1]!.endsWith("+json"));
}

/**
 * The JSON body of `request`.
 *
 * @throws ApiError 413 for a body over {@link MAX_BODY_BYTES}; 400 without a JSON
 *   `Content-Type`, or for text that is not UTF-8 JSON.
 */
export async function readJson(request: Request): Promise<unknown> {
  if (!isJsonContentType(request.headers.get("content-type") ?? undefined)) {
    throw new ApiError(400, "Expected request with `Content-Type: application/json`");
  }
  let bytes: Uint8Array;
  try {
    bytes = await readBody(request);
  } catch (error) {
    throw error instanceof BodyTooLargeError ? new ApiError(413, error.message) : error;
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ApiError(400, "the body is not UTF-8 text");
  }
  try {
    return parseJson(text);
  } catch (error) {
    throw new ApiError(400, `the body is not valid JSON: ${(error as Error).message}`);
  }
}

/** How deep arrays and objects may nest, as serde_json (the Rust stack's parser) reads them. */
export const MAX_JSON_DEPTH = 127;

/**
 * `text` parsed as JSON as strictly as the other stacks parse it: `JSON.parse` alone also takes
 * a lone surrogate (`"\ud800"`), a number out of range (`1e400`, read as Infinity) and any
 * nesting, which they refuse.
 *
 * @throws SyntaxError for anything else.
 */
export function parseJson(text: string): unknown {
  const value: unknown = JSON.parse(text);
  const problem = strictProblem(value, 1);
  if (problem !== undefined) {
    throw new SyntaxError(problem);
  }
  return value;
}

/** What the other stacks' parsers refuse in `value`, found `depth` levels deep. */
function strictProblem(value: unknown, depth: number): string | undefined {
  if (typeof value === "string") {
    return isWellFormed(value) ? undefined : "a string holds a lone surrogate";
  }
  if (typeof value === "number") {
    return Number.isFinite(value) ? undefined : "a number is out of range";
  }
  if (typeof value !== "object" || value === null) {
    return undefined;
  }
  if (depth > MAX_JSON_DEPTH) {
    return `arrays and objects nest more than ${MAX_JSON_DEPTH} deep`;
  }
  const items = Array.isArray(value) ? value : Object.entries(value).flat();
  for (const item of items) {
    const problem = strictProblem(item, depth + 1);
    if (problem !== undefined) {
      return problem;
    }
  }
  return undefined;
}

/**
 * The body of `request`, whatever its `Content-Type`.
 *
 * @throws BodyTooLargeError for a body over {@link MAX_BODY_BYTES}.
 */
export async function readBody(
  request: Request,
  limit: number = MAX_BODY_BYTES,
): Promise<Uint8Array> {
  const tooLarge = (): BodyTooLargeError =>
    new BodyTooLargeError(`the body is larger than ${limit} bytes`);
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) {
    throw tooLarge();
  }
  if (request.body === null) {
    return new Uint8Array();
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      break;
    }
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/**
 * Reads and drops the body of a request refused anyway (404, 405), so that every route bounds
 * the body alike and a keep-alive connection stays usable.
 *
 * @throws ApiError 413 for a body over {@link MAX_BODY_BYTES}.
 */
export async function discardBody(request: Request): Promise<void> {
  try {
    await readBody(request);
  } catch (error) {
    throw error instanceof BodyTooLargeError ? new ApiError(413, error.message) : error;
  }
}
