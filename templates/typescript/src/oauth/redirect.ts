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
          parts.path === parts.parsedPath &&
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
  /** The path as written. */
  readonly path: string;
  /** The path as the URL parser reads it (dot segments resolved, characters escaped). */
  readonly parsedPath: string;
  readonly query: string | undefined;
}

/**
 * Parses `uri` with the WHATWG URL parser; undefined for anything it refuses, for anything
 * unusual (user info, fragments, spaces, backslashes), which no legitimate callback needs, and
 * for any URI whose scheme, host and port as written are not exactly what the parser read
 * (`http://[::1].evil.com/`, `HTTP://`, `http://LOCALHOST/`).
 */
function parse(uri: string): Parts | undefined {
  if (Buffer.byteLength(uri, "utf8") > 2000 || /[\p{White_Space}\p{Cc}\\#@]/u.test(uri)) {
    return undefined;
  }
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  const scheme = url.protocol.slice(0, -1);
  if (!uri.startsWith(`${scheme}://`)) {
    return undefined;
  }
  const rest = uri.slice(scheme.length + 3);
  const pathStart = rest.search(/[/?]/);
  const authority = pathStart === -1 ? rest : rest.slice(0, pathStart);
  const pathAndQuery = pathStart === -1 ? "" : rest.slice(pathStart);
  const queryStart = pathAndQuery.indexOf("?");
  const path = queryStart === -1 ? pathAndQuery : pathAndQuery.slice(0, queryStart);
  const query = queryStart === -1 ? undefined : pathAndQuery.slice(queryStart + 1);
  const host = url.hostname;
  let port: string | undefined;
  if (authority === host) {
    port = undefined;
  } else if (authority.startsWith(`${host}:`) && /^[0-9]+$/.test(authority.slice(host.length + 1))) {
    port = authority.slice(host.length + 1);
  } else {
    return undefined;
  }
  if (host === "") {
    return undefined;
  }
  return { scheme, host, port, path, parsedPath: url.pathname, query };
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
