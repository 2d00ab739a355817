/**
 * An OAuth 2 authorization server for the plugin's clients (RFC 6749, with PKCE from RFC 7636,
 * resource indicators from RFC 8707, `iss` from RFC 9207): GPT Actions with the pre-registered
 * client, and MCP clients (ChatGPT apps, Claude, the MCP Inspector) that find it on their own.
 *
 * - `GET /.well-known/oauth-authorization-server` (RFC 8414) and
 *   `GET /.well-known/oauth-protected-resource[/mcp]` (RFC 9728) describe it.
 * - `POST /oauth/register` (RFC 7591) registers a client; a client may instead name a client
 *   ID metadata document (an https `client_id`, see `client-metadata.ts`).
 * - `GET /oauth/authorize` checks the client and the `redirect_uri`, then shows a sign-in and
 *   consent page. Approving redirects back with a `code`, the unchanged `state` and `iss`;
 *   denying redirects with `error=access_denied`. A bad client or redirect URI is an error page
 *   and is never redirected to.
 * - `POST /oauth/token` takes JSON or form bodies, and client credentials in the body or as
 *   HTTP Basic (public clients send only `client_id`). Codes are single-use and short-lived;
 *   refresh tokens rotate; a replayed refresh token revokes its grant, and so does a replayed
 *   code unless it is the same client retrying (see {@link RETRY_SECONDS}).
 */

import { createHash, randomBytes } from "node:crypto";

import { constantTimeEqual } from "../auth.js";
import type { Database } from "../db.js";
import { json } from "../errors.js";
import { parseJson } from "../request.js";
import { splitWhiteSpace, trimWhiteSpace } from "../text.js";
import { ClientDocumentError, ClientDocuments } from "./client-metadata.js";
import type { Resolver } from "./client-metadata.js";
import { consentPage, errorPage } from "./page.js";
import { LOCKOUT_SECONDS, WrongPasswords } from "./pending.js";
import { hostOf, isMetadataUrl, withParams } from "./redirect.js";
import type { AllowList } from "./redirect.js";
import { RegistrationError, checkMetadata } from "./registration.js";
import { Grants, MAX_CLIENTS } from "./store.js";
import type { Code, Token } from "./store.js";

/** How long a code may wait to be exchanged, in seconds. */
export const CODE_LIFETIME = 5 * 60;
/** How long an access token works, in seconds. */
export const ACCESS_TOKEN_LIFETIME = 60 * 60;
/** How long a refresh token works, in seconds. */
export const REFRESH_TOKEN_LIFETIME = 30 * 24 * 60 * 60;
/**
 * A code posted again by the same client, with the same proof (PKCE verifier, client secret),
 * within this many seconds of its exchange, is a client retrying: it gets `invalid_grant` and
 * the tokens of the first exchange stay valid. Any other replay revokes them.
 */
export const RETRY_SECONDS = 60;
/** The scope that asks for a refresh token. */
export const OFFLINE_ACCESS = "offline_access";

/** The current time in Unix seconds; replaceable so tests can let codes and tokens expire. */
export type Clock = () => number;

/** The system clock. */
export const systemClock: Clock = () => Math.floor(Date.now() / 1000);

/** The server's OAuth settings (see `config.ts`). */
export interface OAuthSettings {
  /** `PUBLIC_URL`, canonical: the issuer, and the REST API's resource identifier. */
  readonly publicUrl: string;
  /** `OAUTH_CLIENT_ID`. */
  readonly clientId: string;
  /** `OAUTH_CLIENT_SECRET`. */
  readonly clientSecret: string;
  /** The scopes the plugin grants. */
  readonly scope: readonly string[];
  /** `OAUTH_USERS`: [username, password] pairs for the sign-in page. */
  readonly users: ReadonlyArray<readonly [string, string]>;
  /** Where codes may be sent for the pre-registered client. */
  readonly redirects: AllowList;
  /** `OAUTH_ALLOW_LOOPBACK_CLIENT_IDS`: client metadata documents on loopback (tests only). */
  readonly loopbackClientIds: boolean;
  /** How client metadata document hosts are resolved (tests replace it). */
  readonly resolver?: Resolver;
}

/** The client of an authorization request, however it is known. */
interface Client {
  readonly id: string;
  /** The name shown on the consent page. */
  readonly name: string;
  /** A client without a secret: PKCE is required of it. */
  readonly isPublic: boolean;
  /** Whether codes may be sent to `uri`. */
  readonly allows: (uri: string) => boolean;
  /** The scopes it registered, if it registered some. */
  readonly scope: readonly string[] | null;
}

/** An authorization request that passed every check. */
interface AuthRequest {
  readonly clientId: string;
  readonly clientName: string;
  readonly redirectUri: string;
  /** Absent only when PKCE protects the request instead. */
  readonly state: string | undefined;
  readonly scope: readonly string[];
  readonly codeChallenge: string | undefined;
  readonly resource: string | null;
}

/**
 * Why an authorization request is refused, and how the person learns of it: a page, never
 * redirected, when the client or redirect URI cannot be trusted; otherwise a redirect back to
 * the client with `error`, `state` and `iss`.
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

  static target(description: string): TokenError {
    return new TokenError(400, "invalid_target", description);
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

/** What a code or refresh token grants: what the tokens issued for it carry. */
interface Granted {
  readonly grant: string;
  readonly user: string;
  readonly scope: readonly string[];
  readonly resource: string | null;
}

/** The authorization server. */
export class OAuth {
  readonly #settings: OAuthSettings;
  readonly #grants: Grants;
  readonly #clock: Clock;
  readonly #plugin: string;
  readonly #documents: ClientDocuments;
  readonly #wrongPasswords = new WrongPasswords();

  /**
   * The server for the plugin called `plugin`, keeping its grants in `db`.
   */
  constructor(settings: OAuthSettings, db: Database, clock: Clock, plugin: string) {
    this.#settings = settings;
    this.#grants = new Grants(db);
    this.#clock = clock;
    this.#plugin = plugin;
    this.#documents = new ClientDocuments(settings.loopbackClientIds, settings.resolver);
  }

  /** The issuer, and the REST API's resource identifier. */
  get issuer(): string {
    return this.#settings.publicUrl;
  }

  /** The MCP endpoint's resource identifier. */
  get mcpResource(): string {
    return `${this.#settings.publicUrl}/mcp`;
  }

  /** The scopes listed in the metadata: the plugin's, then `offline_access`. */
  get #scopesSupported(): string[] {
    return [...this.#settings.scope.filter((s) => s !== OFFLINE_ACCESS), OFFLINE_ACCESS];
  }

  /** The live access token `accessToken`. */
  accessToken(accessToken: string): Promise<Token | undefined> {
    return this.#grants.accessToken(hashSecret(accessToken), this.#clock());
  }

  /** The user a live access token acts for. */
  async userFor(accessToken: string): Promise<string | undefined> {
    return (await this.accessToken(accessToken))?.user;
  }

  /** `GET /.well-known/oauth-protected-resource[/mcp]` (RFC 9728). */
  protectedResource(): Response {
    return json({
      resource: this.mcpResource,
      authorization_servers: [this.issuer],
      scopes_supported: this.#scopesSupported,
      bearer_methods_supported: ["header"],
      resource_name: this.#plugin,
    });
  }

  /** `GET /.well-known/oauth-authorization-server` (RFC 8414). */
  authorizationServer(): Response {
    const p = this.issuer;
    return json({
      issuer: p,
      authorization_endpoint: `${p}/oauth/authorize`,
      token_endpoint: `${p}/oauth/token`,
      registration_endpoint: `${p}/oauth/register`,
      scopes_supported: this.#scopesSupported,
      response_types_supported: ["code"],
      response_modes_supported: ["query"],
      grant_types_supported: ["authorization_code", "refresh_token"],
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post", "none"],
      code_challenge_methods_supported: ["S256"],
      client_id_metadata_document_supported: true,
      authorization_response_iss_parameter_supported: true,
    });
  }

  /**
   * `POST /oauth/register` (RFC 7591) with this body (at most `MAX_REGISTRATION_BYTES`, which
   * the caller enforces): a new client.
   */
  async register(body: Uint8Array): Promise<Response> {
    const noStore = { "cache-control": "no-store", pragma: "no-cache" };
    const refuse = (code: string, description: string): Response =>
      json({ error: code, error_description: description }, 400, noStore);
    const value = jsonObject(body);
    if (value === undefined) {
      return refuse("invalid_client_metadata", "the body must be a JSON object of client metadata");
    }
    let metadata;
    try {
      metadata = checkMetadata(value, this.#scopesSupported);
    } catch (error) {
      if (error instanceof RegistrationError) {
        return refuse(error.code, error.message);
      }
      throw error;
    }
    const now = this.#clock();
    const clientId = `mcp-${randomBytes(24).toString("base64url")}`;
    const isPublic = metadata.tokenEndpointAuthMethod === "none";
    const secret = isPublic ? undefined : randomToken();
    let added: boolean;
    try {
      added = await this.#grants.addClient(clientId, {
        clientName: metadata.clientName,
        redirectUris: metadata.redirectUris,
        scope: metadata.scope,
        secretHash: secret === undefined ? null : hashSecret(secret),
        issuedAt: now,
      });
    } catch (error) {
      return json(
        {
          error: "server_error",
          error_description: `could not store the client: ${(error as Error).message}`,
        },
        500,
        noStore,
      );
    }
    if (!added) {
      return refuse(
        "invalid_client_metadata",
        `the server is full: it keeps at most ${MAX_CLIENTS} registered clients; its operator ` +
          "can remove them from the oauth_clients table",
      );
    }
    const answer: Record<string, unknown> = { client_id: clientId, client_id_issued_at: now };
    if (secret !== undefined) {
      answer["client_secret"] = secret;
      answer["client_secret_expires_at"] = 0;
    }
    if (metadata.clientName !== null) {
      answer["client_name"] = metadata.clientName;
    }
    answer["redirect_uris"] = metadata.redirectUris;
    answer["grant_types"] = metadata.grantTypes;
    answer["response_types"] = metadata.responseTypes;
    answer["token_endpoint_auth_method"] = metadata.tokenEndpointAuthMethod;
    answer["application_type"] = metadata.applicationType;
    if (metadata.scope !== null) {
      answer["scope"] = metadata.scope.join(" ");
    }
    return json(answer, 201, noStore);
  }

  /** `GET /oauth/authorize` with this raw query: the sign-in and consent page. */
  async authorize(query: Uint8Array): Promise<Response> {
    // A parameter given twice is refused (RFC 6749, 3.1): on a page when it is the client or
    // the redirect URI, which then cannot be trusted; otherwise by a redirect, as other errors.
    const params = new Map<string, string>();
    const repeated: string[] = [];
    for (const [name, value] of formPairs(query)) {
      if (params.has(name)) {
        repeated.push(name);
      } else {
        params.set(name, value);
      }
    }
    const untrusted = repeated.find((name) => name === "client_id" || name === "redirect_uri");
    if (untrusted !== undefined) {
      return errorPage(
        400,
        "Bad request",
        `the parameter \`${untrusted}\` is given more than once`,
      );
    }
    const request = await this.#check(params, repeated);
    return "clientId" in request ? await this.#consentPage(request, "") : refuse(request);
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
    const request = (await this.#grants.takePending(params.get("request_id") ?? "", now)) as
      | AuthRequest
      | undefined;
    if (request === undefined) {
      return errorPage(
        400,
        "Sign-in expired",
        "This sign-in page was already used, has expired, or was not shown by this server. " +
          "Start again from ChatGPT.",
      );
    }
    const state: Array<[string, string]> =
      request.state === undefined ? [] : [["state", request.state]];
    const back = (query: ReadonlyArray<readonly [string, string]>): Response =>
      redirect(withParams(request.redirectUri, [...query, ...state, ["iss", this.issuer]]));
    switch (params.get("decision")) {
      case "deny":
        return back([
          ["error", "access_denied"],
          ["error_description", "the user denied the request"],
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
          resource: request.resource,
          expiresAt: now + CODE_LIFETIME,
          usedAt: null,
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
        return back([["code", code]]);
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
   * The client `clientId`, in this order: the pre-registered one, a registered one, one
   * described by a client ID metadata document; a refusal page if none.
   */
  async #client(clientId: string): Promise<Client | Refusal> {
    if (constantTimeEqual(clientId, this.#settings.clientId)) {
      return {
        id: clientId,
        name: "the pre-registered client (OAUTH_CLIENT_ID)",
        isPublic: false,
        allows: (uri) => this.#settings.redirects.allows(uri),
        scope: null,
      };
    }
    const registered = await this.#grants.client(clientId);
    if (registered !== undefined) {
      return {
        id: clientId,
        name: registered.clientName ?? clientId,
        isPublic: registered.secretHash === null,
        allows: (uri) => registered.redirectUris.includes(uri),
        scope: registered.scope,
      };
    }
    if (isMetadataUrl(clientId, this.#settings.loopbackClientIds)) {
      try {
        const document = await this.#documents.get(clientId, this.#clock());
        return {
          id: clientId,
          name: document.clientName ?? clientId,
          isPublic: true,
          allows: (uri) => document.redirectUris.includes(uri),
          scope: null,
        };
      } catch (error) {
        if (error instanceof ClientDocumentError) {
          return { page: { title: "Client metadata document refused", message: error.message } };
        }
        throw error;
      }
    }
    return {
      page: {
        title: "Unknown client",
        message:
          `The client id \`${clientId}\` is not this plugin's client (OAUTH_CLIENT_ID), a ` +
          "registered client, or a client metadata document URL.",
      },
    };
  }

  /**
   * Checks an authorization request. A bad client or redirect URI is an error page; any other
   * problem is a redirect with an `error`, as RFC 6749 (4.1.2.1) asks.
   */
  async #check(
    params: ReadonlyMap<string, string>,
    repeated: readonly string[],
  ): Promise<AuthRequest | Refusal> {
    const param = (name: string): string | undefined => {
      const value = params.get(name);
      return value === "" ? undefined : value;
    };
    const client = await this.#client(param("client_id") ?? "");
    if ("page" in client || "redirect" in client) {
      return client;
    }
    const redirectUri = param("redirect_uri");
    if (redirectUri === undefined) {
      return {
        page: { title: "Missing redirect URI", message: "The request has no redirect_uri." },
      };
    }
    if (!client.allows(redirectUri)) {
      const allowed = constantTimeEqual(client.id, this.#settings.clientId)
        ? "ChatGPT's or Claude's OAuth callback, a loopback URL, or one of OAUTH_REDIRECT_URIS"
        : "one of the client's registered redirect_uris";
      return {
        page: {
          title: "Redirect URI not allowed",
          message: `\`${redirectUri}\` is not ${allowed}.`,
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
      query.push(["iss", this.issuer]);
      return { redirect: withParams(redirectUri, query) };
    };
    if (repeated.length > 0) {
      return refusal("invalid_request", `the parameter \`${repeated[0]}\` is given more than once`);
    }
    if (param("response_type") !== "code") {
      return refusal("unsupported_response_type", "response_type must be code");
    }
    // Without `scope`: what the client registered, or else the plugin's.
    const asked = param("scope");
    let scope: readonly string[] = client.scope ?? this.#settings.scope;
    if (asked !== undefined) {
      scope = splitWhiteSpace(asked);
      if (!scope.every((s) => this.#scopesSupported.includes(s))) {
        return refusal("invalid_scope", "this plugin does not grant that scope");
      }
    }
    const registeredScope = client.scope;
    if (registeredScope !== null && !scope.every((s) => registeredScope.includes(s))) {
      return refusal("invalid_scope", "the client did not register that scope");
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
    // Without PKCE, `state` is what protects the client from a forged redirect (OAuth 2.1).
    if (state === undefined && challenge === undefined) {
      return refusal("invalid_request", "state is required without PKCE (code_challenge)");
    }
    if (challenge === undefined && client.isPublic) {
      return refusal(
        "invalid_request",
        "a client without a secret must use PKCE: send code_challenge and code_challenge_method=S256",
      );
    }
    let resource: string | null = null;
    const askedResource = param("resource");
    if (askedResource !== undefined) {
      const known = this.#resource(askedResource);
      if (known === undefined) {
        return refusal(
          "invalid_target",
          `resource must be ${this.mcpResource} (the MCP endpoint) or ${this.issuer} (the API)`,
        );
      }
      resource = known;
    }
    return {
      clientId: client.id,
      clientName: client.name,
      redirectUri,
      state,
      scope,
      codeChallenge: challenge,
      resource,
    };
  }

  /**
   * The resource identifier `text` names (RFC 8707): the MCP endpoint or the API, compared
   * as the URL parser reads them (scheme and host lower-case, no trailing `/`); undefined for
   * anything else, or anything with a query or fragment.
   */
  #resource(text: string): string | undefined {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      return undefined;
    }
    if (url.search !== "" || url.hash !== "" || text.includes("#") || url.username !== "") {
      return undefined;
    }
    const canonical = `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, "")}`;
    return canonical === this.mcpResource || canonical === this.issuer ? canonical : undefined;
  }

  /**
   * The sign-in and consent page for `request`, which is kept until the page is answered: the
   * form carries only its id.
   */
  async #consentPage(request: AuthRequest, username: string, error?: string): Promise<Response> {
    const id = randomToken();
    await this.#grants.addPending(id, request, this.#clock());
    const hidden: Array<[string, string]> = [["request_id", id]];
    return consentPage({
      plugin: this.#plugin,
      client: request.clientName,
      hidden,
      scope: request.scope,
      redirectHost: hostOf(request.redirectUri),
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

  /**
   * The client a token request comes from: by its secret (the pre-registered client and
   * confidential registered ones), or by its id alone (public clients).
   *
   * @returns the client id, and whether it is the pre-registered client.
   */
  async #authenticate(
    headers: Headers,
    param: (name: string) => string | undefined,
  ): Promise<{ clientId: string; preregistered: boolean }> {
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
      const publicId = param("client_id");
      const registered =
        publicId === undefined ? undefined : await stored(this.#grants.client(publicId));
      if (
        publicId !== undefined &&
        ((registered !== undefined && registered.secretHash === null) ||
          (registered === undefined && isMetadataUrl(publicId, this.#settings.loopbackClientIds)))
      ) {
        return { clientId: publicId, preregistered: false };
      }
      throw TokenError.client(
        "client authentication is required (client_id and client_secret, or HTTP Basic)",
      );
    }
    // Both comparisons always run: `&&` would skip the secret of a wrong client id.
    const idMatches = constantTimeEqual(clientId, this.#settings.clientId);
    const secretMatches = constantTimeEqual(clientSecret, this.#settings.clientSecret);
    if (idMatches && secretMatches) {
      return { clientId, preregistered: true };
    }
    const registered = idMatches ? undefined : await stored(this.#grants.client(clientId));
    if (registered !== undefined && registered.secretHash === null) {
      throw TokenError.client("this client was registered without a secret: send no client_secret");
    }
    if (
      registered !== undefined &&
      registered.secretHash !== null &&
      constantTimeEqual(hashSecret(clientSecret), registered.secretHash)
    ) {
      return { clientId, preregistered: false };
    }
    if (!idMatches && isMetadataUrl(clientId, this.#settings.loopbackClientIds)) {
      throw TokenError.client(
        "a client metadata document client has no secret: send no client_secret",
      );
    }
    throw TokenError.client("unknown client or wrong client secret");
  }

  /**
   * The resource a token request names, checked against what the grant was bound to: the
   * grant's binding if it has one (a `resource` sent must equal it), else the one sent, if
   * any.
   */
  #tokenResource(asked: string | undefined, bound: string | null): string | null {
    if (asked === undefined) {
      return bound;
    }
    const known = this.#resource(asked);
    if (known === undefined) {
      throw TokenError.target(
        `resource must be ${this.mcpResource} (the MCP endpoint) or ${this.issuer} (the API)`,
      );
    }
    if (bound !== null && known !== bound) {
      throw TokenError.target(`the grant is for ${bound}, not ${known}`);
    }
    return known;
  }

  /**
   * `POST /oauth/token`'s work: authenticates the client, redeems the code or refresh token,
   * and issues tokens for what it grants.
   */
  async #exchange(headers: Headers, body: Uint8Array): Promise<Record<string, unknown>> {
    const params = tokenParams(headers, body);
    const param = (name: string): string | undefined => {
      const value = params.get(name);
      return value === "" ? undefined : value;
    };
    const { clientId, preregistered } = await this.#authenticate(headers, param);
    const now = this.#clock();
    let granted: Granted;
    switch (param("grant_type")) {
      case "authorization_code":
        granted = await this.#redeemCode(param, clientId, now);
        break;
      case "refresh_token":
        granted = await this.#refresh(param, clientId, now);
        break;
      case undefined:
        throw TokenError.request("grant_type is required");
      default:
        throw new TokenError(
          400,
          "unsupported_grant_type",
          "grant_type must be authorization_code or refresh_token",
        );
    }
    return this.#issue(granted, clientId, preregistered, now);
  }

  /**
   * Uses the code of an `authorization_code` request, which must have been issued to this
   * client and `redirect_uri`, with the PKCE verifier if it had a challenge. A replay revokes
   * the code's grant, unless it is the same client retrying (see {@link RETRY_SECONDS}).
   */
  async #redeemCode(
    param: (name: string) => string | undefined,
    clientId: string,
    now: number,
  ): Promise<Granted> {
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
    const issued = found.value;
    const verifier = param("code_verifier");
    const proves =
      issued.clientId === clientId &&
      issued.redirectUri === redirectUri &&
      (issued.codeChallenge === null
        ? verifier === undefined
        : verifier !== undefined && verifierMatches(verifier, issued.codeChallenge));
    if (found.found === "replayed") {
      // Only the client the code was issued to holds its verifier or secret: the same
      // proof, soon after, is that client retrying, and revoking would sign the user out.
      const retry = proves && issued.usedAt !== null && now - issued.usedAt <= RETRY_SECONDS;
      if (retry) {
        throw TokenError.grant(
          "the code was already exchanged; the tokens of that exchange stay valid",
        );
      }
      await stored(this.#grants.revoke(issued.grant));
      throw TokenError.grant("the code was already used; the tokens it gave are revoked");
    }
    if (issued.clientId !== clientId || issued.redirectUri !== redirectUri) {
      throw TokenError.grant("the code was issued to another client or redirect_uri");
    }
    if (issued.codeChallenge !== null && verifier !== undefined) {
      if (!verifierMatches(verifier, issued.codeChallenge)) {
        throw TokenError.grant("code_verifier does not match code_challenge");
      }
    } else if (issued.codeChallenge !== null) {
      throw TokenError.grant("code_verifier is required: the authorization request used PKCE");
    } else if (verifier !== undefined) {
      throw TokenError.grant(
        "code_verifier given, but the authorization request had no code_challenge",
      );
    }
    const resource = this.#tokenResource(param("resource"), issued.resource);
    return { grant: issued.grant, user: issued.user, scope: issued.scope, resource };
  }

  /**
   * Rotates the refresh token of a `refresh_token` request, which must have been issued to
   * this client; the scope may narrow, never widen. A replay revokes its grant.
   */
  async #refresh(
    param: (name: string) => string | undefined,
    clientId: string,
    now: number,
  ): Promise<Granted> {
    const refresh = param("refresh_token");
    if (refresh === undefined) {
      throw TokenError.request("refresh_token is required");
    }
    // The resource is checked before the refresh token is used up.
    const askedResource = param("resource");
    const current = await stored(this.#grants.refreshToken(hashSecret(refresh), now));
    if (askedResource !== undefined && current !== undefined) {
      this.#tokenResource(askedResource, current.resource);
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
    let scope = token.scope;
    if (asked !== undefined) {
      scope = splitWhiteSpace(asked);
      if (!scope.every((s) => token.scope.includes(s))) {
        throw new TokenError(400, "invalid_scope", "a refresh cannot widen the scope");
      }
    }
    const resource = this.#tokenResource(askedResource, token.resource);
    return { grant: token.grant, user: token.user, scope, resource };
  }

  /**
   * Issues an access token for `granted`, and a refresh token for `offline_access` and for
   * the pre-registered client (GPT Actions); the token response.
   */
  async #issue(
    granted: Granted,
    clientId: string,
    preregistered: boolean,
    now: number,
  ): Promise<Record<string, unknown>> {
    const accessToken = randomToken();
    const refreshToken =
      preregistered || granted.scope.includes(OFFLINE_ACCESS) ? randomToken() : undefined;
    const token = (kind: Token["kind"], lifetime: number): Token => ({
      ...granted,
      kind,
      clientId,
      expiresAt: now + lifetime,
    });
    const tokens: Array<[string, Token]> = [
      [hashSecret(accessToken), token("access", ACCESS_TOKEN_LIFETIME)],
    ];
    if (refreshToken !== undefined) {
      tokens.push([hashSecret(refreshToken), token("refresh", REFRESH_TOKEN_LIFETIME)]);
    }
    await stored(this.#grants.addTokens(tokens, now));
    const answer: Record<string, unknown> = {
      access_token: accessToken,
      token_type: "bearer",
      expires_in: ACCESS_TOKEN_LIFETIME,
    };
    if (refreshToken !== undefined) {
      answer["refresh_token"] = refreshToken;
    }
    answer["scope"] = granted.scope.join(" ");
    return answer;
  }
}

/** Whether `verifier` is the PKCE verifier of the S256 `challenge`. */
function verifierMatches(verifier: string, challenge: string): boolean {
  const computed = createHash("sha256").update(verifier, "utf8").digest("base64url");
  return constantTimeEqual(computed, challenge);
}

/** The grant store's answer; a failed read or write is a `server_error`. */
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
