/**
 * Which `redirect_uri`s the authorization server sends users back to, and how.
 *
 * A code must only ever reach the client that asked for it, so the allow-list of the
 * pre-registered client is strict: ChatGPT's app, connector, plugin and GPT callbacks, Claude's
 * callbacks, loopback URLs for local testing, and exact URLs from `OAUTH_REDIRECT_URIS`.
 * Anything else is shown as an error page and never redirected to. Registered clients and
 * client metadata documents name their own redirect URIs, matched exactly.
 */

/** The hosts ChatGPT's OAuth callbacks live on. */
const CHATGPT_HOSTS: readonly string[] = ["chat.openai.com", "chatgpt.com"];

/** ChatGPT's stable callback for apps (connectors) whose server sends `iss`. */
const CHATGPT_CONNECTOR_CALLBACK = "https://chatgpt.com/connector_platform_oauth_redirect";

/** Claude's callbacks. */
const CLAUDE_CALLBACKS: readonly string[] = [
  "https://claude.ai/api/mcp/auth_callback",
  "https://claude.com/api/mcp/auth_callback",
];

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
      case "https": {
        if (
          parts.port !== undefined ||
          parts.path !== parts.parsedPath ||
          parts.query !== undefined
        ) {
          return false;
        }
        const plain = `https://${parts.host}${parts.path}`;
        if (plain === CHATGPT_CONNECTOR_CALLBACK || CLAUDE_CALLBACKS.includes(plain)) {
          return true;
        }
        const segments = parts.path.split("/");
        // https://chatgpt.com/connector/oauth/<connector id>
        if (
          parts.host === "chatgpt.com" &&
          segments.length === 4 &&
          segments[0] === "" &&
          segments[1] === "connector" &&
          segments[2] === "oauth" &&
          isId(segments[3] ?? "")
        ) {
          return true;
        }
        // https://chat.openai.com/aip/<plugin or GPT id>/oauth/callback
        return (
          CHATGPT_HOSTS.includes(parts.host) &&
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

/**
 * Whether a client may register `uri` as a redirect URI: https on any host, or http on
 * loopback; no user info, no fragment, nothing the URL parser would read differently.
 */
export function registrable(uri: string): boolean {
  const parts = parse(uri);
  return (
    parts !== undefined &&
    (parts.scheme === "https" || (parts.scheme === "http" && LOOPBACK_HOSTS.includes(parts.host)))
  );
}

/**
 * Whether `clientId` is a client ID metadata document URL: https with a path other than `/`
 * (or http on loopback when `loopback` allows it, for local tests).
 */
export function isMetadataUrl(clientId: string, loopback: boolean): boolean {
  const parts = parse(clientId);
  if (parts === undefined || parts.path === "" || parts.path === "/") {
    return false;
  }
  return (
    parts.scheme === "https" ||
    (loopback && parts.scheme === "http" && LOOPBACK_HOSTS.includes(parts.host))
  );
}

/** The host (and port) of `uri` as written, for the consent page. */
export function hostOf(uri: string): string {
  const afterScheme = uri.split("://")[1] ?? "";
  return afterScheme.split(/[/?]/)[0] ?? "";
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
