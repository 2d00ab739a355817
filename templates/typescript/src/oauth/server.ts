/**
 * An OAuth 2 authorization server for the plugin host (RFC 6749, with PKCE from RFC 7636).
 *
 * - `GET /oauth/authorize` (the manifest's `client_url`) checks the client and the
 *   `redirect_uri`, then shows a sign-in and consent page. Approving redirects back with a
 *   `code` and the unchanged `state`; denying redirects with `error=access_denied`. A bad
 *   client or redirect URI is an error page and is never redirected to.
 * - `POST /oauth/token` (the manifest's `authorization_url`) takes JSON or form bodies, and
 *   client credentials in the body or as HTTP Basic. Codes are single-use and short-lived;
 *   refresh tokens rotate; replays revoke what the grant issued.
 */

import { createHash, randomBytes } from "node:crypto";

import { constantTimeEqual } from "../auth.js";
import { json } from "../errors.js";
import { parseJson } from "../request.js";
import { splitWhiteSpace, trimWhiteSpace } from "../text.js";
import { consentPage, errorPage } from "./page.js";
import { LOCKOUT_SECONDS, PendingRequests, WrongPasswords } from "./pending.js";
import { withParams } from "./redirect.js";
import type { AllowList } from "./redirect.js";
import { Grants } from "./store.js";
import type { Code, Token } from "./store.js";

/** How long a code may wait to be exchanged, in seconds. */
export const CODE_LIFETIME = 5 * 60;
/** How long an access token works, in seconds. */
export const ACCESS_TOKEN_LIFETIME = 60 * 60;
/** How long a refresh token works, in seconds. */
export const REFRESH_TOKEN_LIFETIME = 30 * 24 * 60 * 60;

/** The current time in Unix seconds; replaceable so tests can let codes and tokens expire. */
export type Clock = () => number;

/** The system clock. */
export const systemClock: Clock = () => Math.floor(Date.now() / 1000);

/** The server's OAuth settings (see `config.ts`). */
export interface OAuthSettings {
  /** `OAUTH_CLIENT_ID`. */
  readonly clientId: string;
  /** `OAUTH_CLIENT_SECRET`. */
  readonly clientSecret: string;
  /** The scopes the plugin grants. */
  readonly scope: readonly string[];
  /** `OAUTH_USERS`: [username, password] pairs for the sign-in page. */
  readonly users: ReadonlyArray<readonly [string, string]>;
  /** Where codes may be sent. */
  readonly redirects: AllowList;
}

/** An authorization request that passed every check. */
interface AuthRequest {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly state: string;
  readonly scope: readonly string[];
  readonly codeChallenge: string | undefined;
}

/**
 * Why an authorization request is refused, and how the person learns of it: a page, never
 * redirected, when the client or redirect URI cannot be trusted; otherwise a redirect back to
 * the client with `error` and `state`.
 */
type Refusal =
  | { readonly page: { readonly title: string; readonly message: string } }
  | { readonly redirect: string };

/** A token endpoint error (RFC 6749, 5.2). */
class TokenError extends Error {
  override name = "TokenError";

  constructor(
    readonly status: 400 | 401 | 500,
    readonly code: string,
    description: string,
  ) {
    super(description);
  }

  static request(description: string): TokenError {
    return new TokenError(400, "invalid_request", description);
  }

  static grant(description: string): TokenError {
    return new TokenError(400, "invalid_grant", description);
  }

  static client(description: string): TokenError {
    return new TokenError(401, "invalid_client", description);
  }

  static storage(error: unknown): TokenError {
    return new TokenError(
      500,
      "server_error",
      `could not store the grant: ${(error as Error).message}`,
    );
  }

  toResponse(): Response {
    // The token endpoint authenticates clients with HTTP Basic (or the body).
    const challenge: Record<string, string> =
      this.status === 401 ? { "www-authenticate": 'Basic realm="oauth"' } : {};
    return json({ error: this.code, error_description: this.message }, this.status, challenge);
  }
}

/** The authorization server. */
export class OAuth {
  readonly #settings: OAuthSettings;
  readonly #grants: Grants;
  readonly #clock: Clock;
  readonly #plugin: string;
  /** The requests whose consent page awaits an answer. */
  readonly #pending = new PendingRequests<AuthRequest>();
  readonly #wrongPasswords = new WrongPasswords();

  /**
   * The server for the plugin called `plugin`, keeping its grants in the file `grantsPath`.
   *
   * @throws GrantsFileError if the file exists but cannot be used.
   */
  constructor(settings: OAuthSettings, grantsPath: string, clock: Clock, plugin: string) {
    this.#settings = settings;
    this.#grants = Grants.open(grantsPath);
    this.#clock = clock;
    this.#plugin = plugin;
  }

  /** The user a live access token acts for. */
  userFor(accessToken: string): string | undefined {
    return this.#grants.accessToken(hashSecret(accessToken), this.#clock())?.user;
  }

  /** `GET /oauth/authorize` with this raw query: the sign-in and consent page. */
  authorize(query: Uint8Array): Response {
    let params: Map<string, string>;
    try {
      params = parseForm(query);
    } catch (error) {
      return errorPage(400, "Bad request", (error as Error).message);
    }
    const request = this.#check(params);
    return "clientId" in request ? this.#consentPage(request, "") : refuse(request);
  }

  /** `POST /oauth/authorize` with this form body: the person's decision on the consent page. */
  async decide(body: Uint8Array): Promise<Response> {
    let params: Map<string, string>;
    try {
      params = parseForm(body);
    } catch (error) {
      return errorPage(400, "Bad request", (error as Error).message);
    }
    // The request is the one the page was shown for, found by the form's `request_id`;
    // whatever else the form says about it is ignored.
    const now = this.#clock();
    const request = this.#pending.take(params.get("request_id") ?? "", now);
    if (request === undefined) {
      return errorPage(
        400,
        "Sign-in expired",
        "This sign-in page was already used, has expired, or was not shown by this server. " +
          "Start again from ChatGPT.",
      );
    }
    const back = (query: ReadonlyArray<readonly [string, string]>): Response =>
      redirect(withParams(request.redirectUri, query));
    switch (params.get("decision")) {
      case "deny":
        return back([
          ["error", "access_denied"],
          ["error_description", "the user denied the request"],
          ["state", request.state],
        ]);
      case "allow": {
        const username = trimWhiteSpace(params.get("username") ?? "");
        const password = params.get("password") ?? "";
        if (this.#wrongPasswords.locked(username, now)) {
          const minutes = LOCKOUT_SECONDS / 60;
          const message = `Too many wrong passwords for this username: try again in ${minutes} minutes.`;
          return this.#consentPage(request, username, message);
        }
        if (!this.#signsIn(username, password)) {
          this.#wrongPasswords.failed(username, now);
          return this.#consentPage(request, username, "Wrong username or password.");
        }
        this.#wrongPasswords.succeeded(username);
        const code = randomToken();
        const stored: Code = {
          grant: randomToken(),
          clientId: request.clientId,
          redirectUri: request.redirectUri,
          user: username,
          scope: request.scope,
          codeChallenge: request.codeChallenge ?? null,
          expiresAt: now + CODE_LIFETIME,
          used: false,
        };
        try {
          await this.#grants.addCode(hashSecret(code), stored, now);
        } catch (error) {
          return errorPage(
            500,
            "Server error",
            `The code could not be stored: ${(error as Error).message}`,
          );
        }
        return back([
          ["code", code],
          ["state", request.state],
        ]);
      }
      default:
        return errorPage(400, "Bad request", "Choose Allow or Deny.");
    }
  }

  /** `POST /oauth/token`: codes and refresh tokens for access tokens. */
  async token(headers: Headers, body: Uint8Array): Promise<Response> {
    let response: Response;
    try {
      response = json(await this.#exchange(headers, body));
    } catch (error) {
      if (!(error instanceof TokenError)) {
        throw error;
      }
      response = error.toResponse();
    }
    response.headers.set("cache-control", "no-store");
    response.headers.set("pragma", "no-cache");
    return response;
  }

  /**
   * Checks an authorization request. A bad client or redirect URI is an error page; any other
   * problem is a redirect with an `error`, as RFC 6749 (4.1.2.1) asks.
   */
  #check(params: ReadonlyMap<string, string>): AuthRequest | Refusal {
    const param = (name: string): string | undefined => {
      const value = params.get(name);
      return value === "" ? undefined : value;
    };
    const clientId = param("client_id") ?? "";
    if (!constantTimeEqual(clientId, this.#settings.clientId)) {
      return {
        page: {
          title: "Unknown client",
          message: `The client id \`${clientId}\` is not this plugin's client (OAUTH_CLIENT_ID).`,
        },
      };
    }
    const redirectUri = param("redirect_uri");
    if (redirectUri === undefined) {
      return {
        page: { title: "Missing redirect URI", message: "The request has no redirect_uri." },
      };
    }
    if (!this.#settings.redirects.allows(redirectUri)) {
      return {
        page: {
          title: "Redirect URI not allowed",
          message:
            `\`${redirectUri}\` is not ChatGPT's OAuth callback, a loopback URL, or one of ` +
            "OAUTH_REDIRECT_URIS.",
        },
      };
    }
    const state = param("state");
    const refusal = (error: string, description: string): Refusal => {
      const query: Array<[string, string]> = [
        ["error", error],
        ["error_description", description],
      ];
      if (state !== undefined) {
        query.push(["state", state]);
      }
      return { redirect: withParams(redirectUri, query) };
    };
    if (param("response_type") !== "code") {
      return refusal("unsupported_response_type", "response_type must be code");
    }
    if (state === undefined) {
      return refusal("invalid_request", "state is required");
    }
    const asked = param("scope");
    let scope: readonly string[] = this.#settings.scope;
    if (asked !== undefined) {
      scope = splitWhiteSpace(asked);
      if (!scope.every((s) => this.#settings.scope.includes(s))) {
        return refusal("invalid_scope", "this plugin does not grant that scope");
      }
    }
    const challenge = param("code_challenge");
    const method = param("code_challenge_method");
    if (challenge !== undefined && method === "S256" && !isChallenge(challenge)) {
      return refusal(
        "invalid_request",
        "code_challenge must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~",
      );
    }
    if (challenge !== undefined && method !== "S256") {
      return refusal("invalid_request", "code_challenge_method must be S256");
    }
    if (challenge === undefined && method !== undefined) {
      return refusal("invalid_request", "code_challenge_method without code_challenge");
    }
    return { clientId, redirectUri, state, scope, codeChallenge: challenge };
  }

  /**
   * The sign-in and consent page for `request`, which is kept until the page is answered: the
   * form carries only its id.
   */
  #consentPage(request: AuthRequest, username: string, error?: string): Response {
    const hidden: Array<[string, string]> = [
      ["request_id", this.#pending.add(request, this.#clock())],
    ];
    const afterScheme = request.redirectUri.split("://")[1] ?? "";
    const redirectHost = afterScheme.split(/[/?]/)[0] ?? "";
    return consentPage({
      plugin: this.#plugin,
      hidden,
      scope: request.scope,
      redirectHost,
      username,
      error,
    });
  }

  /** Whether the sign-in is right; compares with every user so timing reveals nothing. */
  #signsIn(username: string, password: string): boolean {
    let found = false;
    for (const [user, secret] of this.#settings.users) {
      // Both comparisons always run: `&&` would skip the password of a wrong username.
      const userMatches = constantTimeEqual(user, username);
      const passwordMatches = constantTimeEqual(secret, password);
      found = (userMatches && passwordMatches) || found;
    }
    return found;
  }

  async #exchange(headers: Headers, body: Uint8Array): Promise<Record<string, unknown>> {
    const params = tokenParams(headers, body);
    const param = (name: string): string | undefined => {
      const value = params.get(name);
      return value === "" ? undefined : value;
    };
    const authorization = headers.get("authorization") ?? "";
    const basic = /^[\t\x20-\x7e]*$/.test(authorization)
      ? /^[Bb]asic (.*)$/s.exec(authorization)?.[1]
      : undefined;
    const secretInBody = param("client_secret");
    let clientId: string;
    let clientSecret: string;
    if (basic !== undefined && secretInBody !== undefined) {
      throw TokenError.request(
        "send the client credentials either in the body or as HTTP Basic, not both",
      );
    } else if (basic !== undefined) {
      const credentials = basicCredentials(basic);
      if (credentials === undefined) {
        throw TokenError.client("the Basic credentials are not base64 of client_id:client_secret");
      }
      [clientId, clientSecret] = credentials;
    } else if (secretInBody !== undefined) {
      [clientId, clientSecret] = [param("client_id") ?? "", secretInBody];
    } else {
      throw TokenError.client(
        "client authentication is required (client_id and client_secret, or HTTP Basic)",
      );
    }
    // Both comparisons always run: `&&` would skip the secret of a wrong client id.
    const idMatches = constantTimeEqual(clientId, this.#settings.clientId);
    const secretMatches = constantTimeEqual(clientSecret, this.#settings.clientSecret);
    if (!(idMatches && secretMatches)) {
      throw TokenError.client("unknown client or wrong client secret");
    }
    const now = this.#clock();
    let grant: string;
    let user: string;
    let scope: readonly string[];
    switch (param("grant_type")) {
      case "authorization_code": {
        const code = param("code");
        if (code === undefined) {
          throw TokenError.request("code is required");
        }
        const redirectUri = param("redirect_uri");
        if (redirectUri === undefined) {
          throw TokenError.request("redirect_uri is required");
        }
        const found = await stored(this.#grants.useCode(hashSecret(code), now));
        if (found.found === "unknown") {
          throw TokenError.grant("the code is unknown or expired");
        }
        if (found.found === "replayed") {
          throw TokenError.grant("the code was already used; the tokens it gave are revoked");
        }
        const issued = found.value;
        if (issued.clientId !== clientId || issued.redirectUri !== redirectUri) {
          throw TokenError.grant("the code was issued to another client or redirect_uri");
        }
        const verifier = param("code_verifier");
        if (issued.codeChallenge !== null && verifier !== undefined) {
          const computed = createHash("sha256").update(verifier, "utf8").digest("base64url");
          if (!constantTimeEqual(computed, issued.codeChallenge)) {
            throw TokenError.grant("code_verifier does not match code_challenge");
          }
        } else if (issued.codeChallenge !== null) {
          throw TokenError.grant("code_verifier is required: the authorization request used PKCE");
        } else if (verifier !== undefined) {
          throw TokenError.grant(
            "code_verifier given, but the authorization request had no code_challenge",
          );
        }
        ({ grant, user, scope } = issued);
        break;
      }
      case "refresh_token": {
        const refresh = param("refresh_token");
        if (refresh === undefined) {
          throw TokenError.request("refresh_token is required");
        }
        const found = await stored(this.#grants.rotateRefresh(hashSecret(refresh), now));
        if (found.found === "unknown") {
          throw TokenError.grant("the refresh token is unknown or expired");
        }
        if (found.found === "replayed") {
          throw TokenError.grant("the refresh token was already used; its grant is revoked");
        }
        const token = found.value;
        if (token.clientId !== clientId) {
          throw TokenError.grant("the refresh token was issued to another client");
        }
        const asked = param("scope");
        scope = token.scope;
        if (asked !== undefined) {
          scope = splitWhiteSpace(asked);
          if (!scope.every((s) => token.scope.includes(s))) {
            throw new TokenError(400, "invalid_scope", "a refresh cannot widen the scope");
          }
        }
        ({ grant, user } = token);
        break;
      }
      case undefined:
        throw TokenError.request("grant_type is required");
      default:
        throw new TokenError(
          400,
          "unsupported_grant_type",
          "grant_type must be authorization_code or refresh_token",
        );
    }

    const accessToken = randomToken();
    const refreshToken = randomToken();
    const token = (kind: Token["kind"], lifetime: number): Token => ({
      grant,
      kind,
      clientId,
      user,
      scope,
      expiresAt: now + lifetime,
      rotated: false,
    });
    await stored(
      this.#grants.addTokens(
        [
          [hashSecret(accessToken), token("access", ACCESS_TOKEN_LIFETIME)],
          [hashSecret(refreshToken), token("refresh", REFRESH_TOKEN_LIFETIME)],
        ],
        now,
      ),
    );
    return {
      access_token: accessToken,
      token_type: "bearer",
      expires_in: ACCESS_TOKEN_LIFETIME,
      refresh_token: refreshToken,
      scope: scope.join(" "),
    };
  }
}

/** The grant store's answer; a failed write is a `server_error`. */
async function stored<T>(change: Promise<T>): Promise<T> {
  try {
    return await change;
  } catch (error) {
    throw TokenError.storage(error);
  }
}

function refuse(refusal: Refusal): Response {
  return "page" in refusal
    ? errorPage(400, refusal.page.title, refusal.page.message)
    : redirect(refusal.redirect);
}

/** A 303 to `target`, sent as its UTF-8 bytes (a header value holds bytes, not characters). */
function redirect(target: string): Response {
  const location = Buffer.from(target, "utf8").toString("latin1");
  return new Response(null, { status: 303, headers: { location } });
}

/** The token request's parameters, from a JSON or form body. */
function tokenParams(headers: Headers, body: Uint8Array): Map<string, string> {
  const header = headers.get("content-type") ?? "";
  const contentType = /^[\t\x20-\x7e]*$/.test(header)
    ? trimWhiteSpace(header.split(";")[0] ?? "").toLowerCase()
    : "";
  if (contentType === "application/x-www-form-urlencoded") {
    try {
      return parseForm(body);
    } catch (error) {
      throw TokenError.request((error as Error).message);
    }
  }
  if (contentType === "application/json") {
    const fields = jsonObject(body);
    if (fields === undefined) {
      throw TokenError.request("the body is not a JSON object");
    }
    const params = new Map<string, string>();
    for (const [name, value] of Object.entries(fields)) {
      if (typeof value !== "string") {
        throw TokenError.request(`\`${name}\` must be a string`);
      }
      params.set(name, value);
    }
    return params;
  }
  throw TokenError.request("send application/x-www-form-urlencoded or application/json");
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The JSON object in `body`, read as every stack reads JSON; undefined for anything else. */
function jsonObject(body: Uint8Array): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = parseJson(strictUtf8.decode(body));
  } catch {
    return undefined;
  }
  const isObject = typeof value === "object" && value !== null && !Array.isArray(value);
  return isObject ? (value as Record<string, unknown>) : undefined;
}

const lossyUtf8 = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * Form-encoded parameters (`a=1&b=x+y`); a parameter given twice is refused (RFC 6749, 3.1).
 *
 * @throws Error naming the repeated parameter.
 */
export function parseForm(raw: Uint8Array): Map<string, string> {
  const params = new Map<string, string>();
  for (const [name, value] of formPairs(raw)) {
    if (params.has(name)) {
      throw new Error(`the parameter \`${name}\` is given more than once`);
    }
    params.set(name, value);
  }
  return params;
}

/**
 * The pairs of an `application/x-www-form-urlencoded` text, in order: `+` is a space, `%XX` a
 * byte, and bytes that are not UTF-8 become U+FFFD.
 */
function formPairs(raw: Uint8Array): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  let start = 0;
  while (start < raw.length) {
    let end = raw.indexOf(0x26, start); // &
    if (end === -1) {
      end = raw.length;
    }
    const piece = raw.subarray(start, end);
    if (piece.length > 0) {
      const equals = piece.indexOf(0x3d); // =
      const name = equals === -1 ? piece : piece.subarray(0, equals);
      const value = equals === -1 ? new Uint8Array() : piece.subarray(equals + 1);
      pairs.push([formDecode(name), formDecode(value)]);
    }
    start = end + 1;
  }
  return pairs;
}

function formDecode(encoded: Uint8Array): string {
  const bytes: number[] = [];
  const hex = (at: number): number => {
    const c = encoded[at] ?? 0;
    if (c >= 0x30 && c <= 0x39) return c - 0x30;
    if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
    if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
    return -1;
  };
  for (let i = 0; i < encoded.length; i += 1) {
    const c = encoded[i] ?? 0;
    const high = hex(i + 1);
    const low = hex(i + 2);
    if (c === 0x25 && i + 2 < encoded.length && high >= 0 && low >= 0) {
      bytes.push(high * 16 + low);
      i += 2;
    } else {
      bytes.push(c === 0x2b ? 0x20 : c);
    }
  }
  return lossyUtf8.decode(Uint8Array.from(bytes));
}

/**
 * `[client_id, client_secret]` from the credentials of an HTTP Basic header, each
 * form-decoded (RFC 6749, 2.3.1); undefined unless they are canonical base64 of UTF-8 text
 * with a `:`.
 */
export function basicCredentials(encoded: string): [string, string] | undefined {
  const base64 = trimWhiteSpace(encoded);
  const bytes = Buffer.from(base64, "base64");
  // Node decodes leniently; only what encodes back to the same text is canonical base64.
  if (bytes.toString("base64") !== base64) {
    return undefined;
  }
  let decoded: string;
  try {
    decoded = strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
  const colon = decoded.indexOf(":");
  if (colon === -1) {
    return undefined;
  }
  // As a form value: `+` is a space, `%XX` a byte, and the value ends at a `&`.
  const decode = (part: string): string =>
    formPairs(Buffer.from(`x=${part}`, "utf8"))[0]?.[1] ?? "";
  return [decode(decoded.slice(0, colon)), decode(decoded.slice(colon + 1))];
}

/** A PKCE code challenge: 43 to 128 unreserved characters. */
export function isChallenge(text: string): boolean {
  return /^[A-Za-z0-9\-._~]{43,128}$/.test(text);
}

/** 256 random bits, URL-safe. */
export function randomToken(): string {
  return randomBytes(32).toString("base64url");
}

/** What is stored instead of a code or token: its SHA-256, in hex. */
export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}
