/**
 * Which `redirect_uri`s the authorization server sends users back to, and how.
 *
 * A code must only ever reach the client that asked for it, so the allow-list is strict:
 * ChatGPT's plugin and GPT callbacks, loopback URLs for local testing, and exact URLs from
 * `OAUTH_REDIRECT_URIS`. Anything else is shown as an error page and never redirected to.
 */

/** The hosts ChatGPT's OAuth callbacks live on. */
const CHATGPT_HOSTS: readonly string[] = ["chat.openai.com", "chatgpt.com"];

/** The hosts of loopback URLs (RFC 8252, 7.3). */
const LOOPBACK_HOSTS: readonly string[] = ["localhost", "127.0.0.1", "[::1]"];

/** The redirect URIs this server accepts. */
export class AllowList {
  /** @param extra exact URIs allowed besides ChatGPT's callbacks and loopback URLs. */
  constructor(readonly extra: readonly string[] = []) {}

  /** Whether `uri` may receive codes. */
  allows(uri: string): boolean {
    if (this.extra.includes(uri)) {
      return true;
    }
    const parts = parse(uri);
    if (parts === undefined) {
      return false;
    }
    switch (parts.scheme) {
      // https://chat.openai.com/aip/<plugin or GPT id>/oauth/callback
      case "https": {
        const segments = parts.path.split("/");
        return (
          CHATGPT_HOSTS.includes(parts.host) &&
          parts.port === undefined &&
          parts.query === undefined &&
          segments.length === 5 &&
          segments[0] === "" &&
          segments[1] === "aip" &&
          isId(segments[2] ?? "") &&
          segments[3] === "oauth" &&
          segments[4] === "callback"
        );
      }
      // Loopback, any port and path (RFC 8252, 7.3), for local clients and tests.
      case "http":
        return LOOPBACK_HOSTS.includes(parts.host);
      default:
        return false;
    }
  }
}

/** A plugin id (`plugin-<uuid>`) or GPT id (`g-<id>`). */
function isId(id: string): boolean {
  return /^[A-Za-z0-9_-]{1,100}$/.test(id);
}

/** The pieces of an absolute URI, for URIs this module accepts at all. */
interface Parts {
  readonly scheme: string;
  readonly host: string;
  readonly port: string | undefined;
  readonly path: string;
  readonly query: string | undefined;
}

/**
 * Splits `uri`; undefined for anything unusual (user info, fragments, spaces, backslashes),
 * which no legitimate callback needs and which parsers disagree about.
 */
function parse(uri: string): Parts | undefined {
  if (Buffer.byteLength(uri, "utf8") > 2000 || /[\p{White_Space}\p{Cc}\\#@]/u.test(uri)) {
    return undefined;
  }
  const separator = uri.indexOf("://");
  if (separator === -1) {
    return undefined;
  }
  const scheme = uri.slice(0, separator);
  const rest = uri.slice(separator + 3);
  const pathStart = rest.search(/[/?]/);
  const authority = pathStart === -1 ? rest : rest.slice(0, pathStart);
  const pathAndQuery = pathStart === -1 ? "" : rest.slice(pathStart);
  const queryStart = pathAndQuery.indexOf("?");
  const path = queryStart === -1 ? pathAndQuery : pathAndQuery.slice(0, queryStart);
  const query = queryStart === -1 ? undefined : pathAndQuery.slice(queryStart + 1);
  let host: string;
  let port: string | undefined;
  if (authority.startsWith("[")) {
    const end = authority.indexOf("]");
    if (end === -1) {
      return undefined;
    }
    host = authority.slice(0, end + 1);
    const after = authority.slice(end + 1);
    port = after.startsWith(":") ? after.slice(1) : undefined;
  } else {
    const colon = authority.indexOf(":");
    host = colon === -1 ? authority : authority.slice(0, colon);
    port = colon === -1 ? undefined : authority.slice(colon + 1);
  }
  if (host === "" || (port !== undefined && !/^[0-9]+$/.test(port))) {
    return undefined;
  }
  return { scheme, host, port, path, query };
}

/** `uri` with `params` added to its query string, form-encoded. */
export function withParams(uri: string, params: ReadonlyArray<readonly [string, string]>): string {
  const query = params.map(([name, value]) => `${formEncode(name)}=${formEncode(value)}`);
  return `${uri}${uri.includes("?") ? "&" : "?"}${query.join("&")}`;
}

/**
 * `text` encoded as `application/x-www-form-urlencoded` does it: letters, digits and `*-._`
 * as they are, a space as `+`, every other UTF-8 byte as `%XX`.
 */
export function formEncode(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9*\-._]/.test(c)) {
      out += c;
    } else if (c === " ") {
      out += "+";
    } else {
      out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    }
  }
  return out;
}
