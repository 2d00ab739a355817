/**
 * `/mcp`: the MCP endpoint (Streamable HTTP), served by the official SDK,
 * `@modelcontextprotocol/server`. In front of the SDK, in this order: the `Host` check (421), the
 * `Origin` check (403), CORS (a preflight is answered without auth), and the plugin's own auth
 * (401). Stateless: each request gets a fresh server from `createServer`, so nothing is kept
 * between requests and several instances can serve one plugin behind a load balancer.
 */

import {
  WebStandardStreamableHTTPServerTransport,
  createMcpHandler,
  isLegacyRequest,
} from "@modelcontextprotocol/server";
import type { AuthInfo, McpServer } from "@modelcontextprotocol/server";
import type { Context } from "hono";

import { ApiError, json } from "./errors.js";
import { MAX_BODY_BYTES } from "./request.js";

/** Where the MCP endpoint is served. */
export const MCP_PATH = "/mcp";

/** The origins always allowed besides `PUBLIC_URL`'s and loopback: ChatGPT's and Claude's. */
export const MCP_ORIGINS: readonly string[] = [
  "https://chatgpt.com",
  "https://chat.openai.com",
  "https://claude.ai",
  "https://claude.com",
];

/** Loopback host names, allowed with any port as `Host` and (over http) as `Origin`. */
const LOOPBACK: ReadonlySet<string> = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** What `/mcp` is built from. */
export interface McpOptions {
  /** `PUBLIC_URL`: its host and port are allowed as `Host`, its origin as `Origin`. */
  readonly publicUrl: string;
  /** `MCP_ALLOWED_ORIGINS`: more allowed origins. */
  readonly allowedOrigins: readonly string[];
  /**
   * Checks the request's credential (throwing an {@link ApiError} 401) and returns the user it
   * names, if it names one.
   */
  readonly authenticate: (c: Context) => string | undefined | Promise<string | undefined>;
  /** A fresh server for one request of `user` (what `authenticate` returned). */
  readonly createServer: (user: string | undefined) => McpServer;
}

/** The handler of every method on {@link MCP_PATH}. */
export function mcpHandler(options: McpOptions): (c: Context) => Promise<Response> {
  const publicUrl = new URL(options.publicUrl);
  const origins = new Set([...MCP_ORIGINS, publicUrl.origin, ...options.allowedOrigins]);
  const userOf = (authInfo: AuthInfo | undefined): string | undefined => {
    const user = authInfo?.extra?.["user"];
    return typeof user === "string" ? user : undefined;
  };
  // 2026-07-28 clients: the SDK's stateless entry, which answers with JSON unless a tool sends
  // progress first (these never do). 2025-era clients are routed below, to a transport that
  // answers with JSON too.
  const modern = createMcpHandler((context) => options.createServer(userOf(context.authInfo)), {
    legacy: "reject",
    maxRequestBodySize: MAX_BODY_BYTES,
  });

  const serve = async (request: Request, user: string | undefined): Promise<Response> => {
    // The user rides in `authInfo`, the SDK's way to hand the caller's identity to the server.
    const authInfo: AuthInfo | undefined =
      user === undefined ? undefined : { token: "", clientId: "", scopes: [], extra: { user } };
    if (!(await isLegacyRequest(request, undefined, { maxRequestBodySize: MAX_BODY_BYTES }))) {
      return modern.fetch(request, authInfo === undefined ? {} : { authInfo });
    }
    if (request.method !== "POST") {
      // Stateless: there is no session to stream to (GET) or to end (DELETE).
      return Response.json(
        { jsonrpc: "2.0", error: { code: -32000, message: "Method not allowed." }, id: null },
        { status: 405, headers: { allow: "POST" } },
      );
    }
    const server = options.createServer(user);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
      maxRequestBodySize: MAX_BODY_BYTES,
    });
    await server.connect(transport);
    try {
      return await transport.handleRequest(request, authInfo === undefined ? {} : { authInfo });
    } finally {
      await server.close();
    }
  };

  return async (c) => {
    const origin = c.req.header("origin");
    // A test's in-process request has no Host header: its URL's host stands in.
    const host = c.req.header("host") ?? new URL(c.req.url).host;
    if (!hostAllowed(host, publicUrl)) {
      return json(
        {
          error:
            `the Host \`${host}\` is not allowed: ${MCP_PATH} answers only for ` +
            `${publicUrl.host} (PUBLIC_URL) and loopback; set PUBLIC_URL to the address clients use`,
        },
        421,
      );
    }
    if (origin !== undefined && !originAllowed(origin, origins)) {
      return json(
        {
          error:
            `the Origin \`${origin}\` is not allowed; add it to MCP_ALLOWED_ORIGINS ` +
            "(comma-separated) to let its pages call this server",
        },
        403,
      );
    }
    let response: Response;
    if (c.req.method === "OPTIONS") {
      response = new Response(null, {
        status: 204,
        headers: {
          "access-control-allow-methods": "GET, POST, DELETE, OPTIONS",
          "access-control-allow-headers":
            "Authorization, Content-Type, Accept, MCP-Protocol-Version, Mcp-Session-Id, " +
            "Mcp-Method, Mcp-Name, Last-Event-ID",
          "access-control-max-age": "86400",
        },
      });
    } else {
      try {
        const user = await options.authenticate(c);
        response = await serve(c.req.raw, user);
      } catch (error) {
        if (!(error instanceof ApiError)) {
          throw error;
        }
        response = error.toResponse();
      }
    }
    // The SDK's responses may have read-only headers: answer with a copy.
    const headers = new Headers(response.headers);
    headers.set("vary", "Origin");
    if (origin !== undefined) {
      headers.set("access-control-allow-origin", origin);
      headers.set(
        "access-control-expose-headers",
        "WWW-Authenticate, MCP-Protocol-Version, Mcp-Session-Id",
      );
    }
    return new Response(response.body, {
      status: response.status,
      statusText: response.statusText,
      headers,
    });
  };
}

/**
 * Whether `host` (a `Host` header) names this server: PUBLIC_URL's host and port, or loopback
 * with any port. Anything else may be a DNS-rebinding attack.
 */
export function hostAllowed(host: string, publicUrl: URL): boolean {
  if (host === "" || /[\s/?#@\\]/.test(host)) {
    return false;
  }
  let url: URL;
  try {
    url = new URL(`${publicUrl.protocol}//${host}`);
  } catch {
    return false;
  }
  // The URL parser lower-cases the name and drops the scheme's default port, as PUBLIC_URL's.
  return (
    LOOPBACK.has(url.hostname) ||
    (url.hostname === publicUrl.hostname && url.port === publicUrl.port)
  );
}

/**
 * Whether `origin` (an `Origin` header) may call this server: one of `allowed`, or a loopback
 * page over http.
 */
export function originAllowed(origin: string, allowed: ReadonlySet<string>): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  const extra = url.username + url.password + url.search + url.hash;
  if (extra !== "" || url.pathname !== "/") {
    return false;
  }
  return allowed.has(url.origin) || (url.protocol === "http:" && LOOPBACK.has(url.hostname));
}
