/**
 * Codes and tokens of the authorization server, kept in one JSON file beside `DATA_PATH`.
 *
 * Only SHA-256 hashes of codes and tokens are stored, so the file does not hand out access if
 * it leaks; so are the secrets of registered clients. Every code and token belongs to a grant
 * (one approval by one user); replaying a rotated refresh token revokes every token of its
 * grant, and so does a replayed code unless it is the same client retrying (`server.ts`). The file is rewritten
 * atomically, concurrent changes together, as the TODO store is (see `json-file.ts`), and has
 * the same format in every stack of this plugin.
 */

import { JsonFile, compareUtf8 } from "../json-file.js";
import type { JsonFormat } from "../json-file.js";

/**
 * Where the grants of the TODO store at `dataPath` are kept: beside it, with the extension
 * `.oauth.json` in place of its own (`data/todos.json` → `data/todos.oauth.json`), as Rust's
 * `Path::with_extension` names it, so every stack finds the same file.
 */
export function grantsPath(dataPath: string): string {
  const trimmed = dataPath.replace(/\/+$/, "");
  const slash = trimmed.lastIndexOf("/");
  const name = trimmed.slice(slash + 1);
  if (name === "" || name === "." || name === "..") {
    return dataPath;
  }
  const dot = name.lastIndexOf(".");
  const stem = dot <= 0 ? name : name.slice(0, dot);
  return `${trimmed.slice(0, slash + 1)}${stem}.oauth.json`;
}

/** What an approved authorization request becomes: kept until the code is exchanged. */
export interface Code {
  /** The grant the code starts. */
  readonly grant: string;
  /** The client it was issued to. */
  readonly clientId: string;
  /** The `redirect_uri` it was sent to; the exchange must name the same one. */
  readonly redirectUri: string;
  /** The user who approved. */
  readonly user: string;
  /** The scopes granted. */
  readonly scope: readonly string[];
  /** The PKCE `code_challenge` (S256), when the client sent one. */
  readonly codeChallenge: string | null;
  /** The resource (RFC 8707) the tokens will be bound to, when the client named one. */
  readonly resource: string | null;
  /** Unix seconds after which the code is worthless. */
  readonly expiresAt: number;
  /** Set once exchanged: a second exchange is a replay. */
  readonly used: boolean;
  /** When it was exchanged (Unix seconds), if it was. */
  readonly usedAt: number | null;
}

/** An issued token. */
export interface Token {
  /** The grant it belongs to. */
  readonly grant: string;
  /** Sent as `Authorization: Bearer` to the API, or exchanged for a new pair. */
  readonly kind: "access" | "refresh";
  /** The client it was issued to. */
  readonly clientId: string;
  /** The user it acts for. */
  readonly user: string;
  /** The scopes granted. */
  readonly scope: readonly string[];
  /** The resource it works for; null for both (issued without `resource`). */
  readonly resource: string | null;
  /** Unix seconds after which the token is worthless. */
  readonly expiresAt: number;
  /** A refresh token that was already exchanged: presenting it again is a replay. */
  readonly rotated: boolean;
}

/** A client registered with `POST /oauth/register` (RFC 7591). */
export interface Client {
  /** The SHA-256 of its secret, in hex; null for a public client. */
  readonly secretHash: string | null;
  /** When it registered, in Unix seconds. */
  readonly issuedAt: number;
  readonly clientName: string | null;
  readonly redirectUris: readonly string[];
  readonly grantTypes: readonly string[];
  readonly responseTypes: readonly string[];
  /** `none`, `client_secret_basic` or `client_secret_post`. */
  readonly tokenEndpointAuthMethod: string;
  /** `web` or `native`. */
  readonly applicationType: string;
  /** The scopes it may ask for, if it registered some. */
  readonly scope: readonly string[] | null;
}

/** The most clients `POST /oauth/register` keeps. */
export const MAX_CLIENTS = 1000;

interface Data {
  /** Registered clients by client id. */
  clients: Map<string, Client>;
  /** Codes by the hash of the code. */
  codes: Map<string, Code>;
  /** Tokens by the hash of the token. */
  tokens: Map<string, Token>;
}

/** What looking up a code or refresh token to use it found. */
export type Lookup<T> =
  /** Live and unused; now marked used. */
  | { readonly found: "fresh"; readonly value: T }
  /** Used before: a replay. Every token of its grant is now revoked. */
  | { readonly found: "replayed" }
  /** No such live code or token. */
  | { readonly found: "unknown" };

/** What looking up a code to exchange it found: a replay says what the code was. */
export type CodeLookup =
  | { readonly found: "fresh"; readonly value: Code }
  | { readonly found: "replayed"; readonly value: Code }
  | { readonly found: "unknown" };

/** A grants file that exists but cannot be used. */
export class GrantsFileError extends Error {
  override name = "GrantsFileError";
}

/** The persistent codes and tokens. */
export class Grants {
  readonly #file: JsonFile<Data>;

  private constructor(file: JsonFile<Data>) {
    this.#file = file;
  }

  /**
   * Opens the file at `path`, or starts empty if it does not exist yet. A file that exists
   * but cannot be read is an error: it is never silently replaced.
   *
   * @throws GrantsFileError
   */
  static open(path: string): Grants {
    return new Grants(JsonFile.open(path, FORMAT));
  }

  /** Keeps `code` under the hash of the code handed out. */
  addCode(codeHash: string, code: Code, now: number): Promise<void> {
    return this.#file.update((data) => {
      prune(data, now);
      data.codes.set(codeHash, code);
    });
  }

  /**
   * Marks the code used and returns it. A code used before is returned as a replay, with
   * nothing revoked: the caller decides (see {@link Grants.revoke}).
   */
  useCode(codeHash: string, now: number): Promise<CodeLookup> {
    return this.#file.update((data): CodeLookup => {
      const code = data.codes.get(codeHash);
      if (code === undefined || code.expiresAt <= now) {
        return { found: "unknown" };
      }
      if (code.used) {
        return { found: "replayed", value: code };
      }
      const used = { ...code, used: true, usedAt: now };
      data.codes.set(codeHash, used);
      return { found: "fresh", value: used };
    });
  }

  /** Removes every token of `grant`. */
  revoke(grant: string): Promise<void> {
    return this.#file.update((data) => {
      revoke(data, grant);
    });
  }

  /** The registered client `clientId`. */
  client(clientId: string): Client | undefined {
    return this.#file.read((data) => data.clients.get(clientId));
  }

  /** Keeps a new client; false when {@link MAX_CLIENTS} are already registered. */
  addClient(clientId: string, client: Client): Promise<boolean> {
    return this.#file.update((data) => {
      if (data.clients.size >= MAX_CLIENTS) {
        return false;
      }
      data.clients.set(clientId, client);
      return true;
    });
  }

  /**
   * Marks a refresh token rotated and returns it, ending the access tokens issued with it; a
   * replay revokes its grant.
   */
  rotateRefresh(tokenHash: string, now: number): Promise<Lookup<Token>> {
    return this.#file.update((data): Lookup<Token> => {
      const token = data.tokens.get(tokenHash);
      if (token === undefined || token.kind !== "refresh" || token.expiresAt <= now) {
        return { found: "unknown" };
      }
      if (token.rotated) {
        revoke(data, token.grant);
        return { found: "replayed" };
      }
      const rotated = { ...token, rotated: true };
      data.tokens.set(tokenHash, rotated);
      // The access tokens issued with it end with it.
      for (const [hash, other] of data.tokens) {
        if (other.grant === token.grant && other.kind === "access") {
          data.tokens.delete(hash);
        }
      }
      return { found: "fresh", value: rotated };
    });
  }

  /** Keeps new tokens under their hashes. */
  addTokens(tokens: ReadonlyArray<readonly [string, Token]>, now: number): Promise<void> {
    return this.#file.update((data) => {
      prune(data, now);
      for (const [hash, token] of tokens) {
        data.tokens.set(hash, token);
      }
    });
  }

  /** The live, unused refresh token with this hash. */
  refreshToken(tokenHash: string, now: number): Token | undefined {
    const token = this.#file.read((data) => data.tokens.get(tokenHash));
    return token !== undefined &&
      token.kind === "refresh" &&
      !token.rotated &&
      token.expiresAt > now
      ? token
      : undefined;
  }

  /** The live access token with this hash. */
  accessToken(tokenHash: string, now: number): Token | undefined {
    const token = this.#file.read((data) => data.tokens.get(tokenHash));
    return token !== undefined && token.kind === "access" && token.expiresAt > now
      ? token
      : undefined;
  }
}

/**
 * How the grants are kept in their file. A change replaces entries, never changes them in
 * place, so a copy of the maps is enough.
 */
const FORMAT: JsonFormat<Data> = {
  what: "OAuth store",
  error: GrantsFileError,
  empty: () => ({ clients: new Map(), codes: new Map(), tokens: new Map() }),
  parse,
  serialize,
  copy: (data) => ({
    clients: new Map(data.clients),
    codes: new Map(data.codes),
    tokens: new Map(data.tokens),
  }),
};

/** Forgets what has expired, so the file does not grow forever. */
function prune(data: Data, now: number): void {
  for (const [hash, code] of data.codes) {
    if (code.expiresAt <= now) {
      data.codes.delete(hash);
    }
  }
  for (const [hash, token] of data.tokens) {
    if (token.expiresAt <= now) {
      data.tokens.delete(hash);
    }
  }
}

/** Removes every token of `grant`. */
function revoke(data: Data, grant: string): void {
  for (const [hash, token] of data.tokens) {
    if (token.grant === grant) {
      data.tokens.delete(hash);
    }
  }
}

/**
 * The file's JSON: `{"clients": {"<client id>": {...}}, "codes": {"<sha256 hex>": {...}},
 * "tokens": {"<sha256 hex>": {...}}}`, each map sorted by key (UTF-8 bytes) and each entry's
 * fields in a fixed order, so the file is the same whichever stack wrote it. A file without
 * `clients`, `resource` or `used_at` (written before they existed) still loads.
 */
function serialize(data: Data): string {
  const clients = [...data.clients].map(([id, client]): [string, unknown] => [
    id,
    {
      secret_hash: client.secretHash,
      issued_at: client.issuedAt,
      client_name: client.clientName,
      redirect_uris: client.redirectUris,
      grant_types: client.grantTypes,
      response_types: client.responseTypes,
      token_endpoint_auth_method: client.tokenEndpointAuthMethod,
      application_type: client.applicationType,
      scope: client.scope,
    },
  ]);
  const codes = [...data.codes].map(([hash, code]): [string, unknown] => [
    hash,
    {
      grant: code.grant,
      client_id: code.clientId,
      redirect_uri: code.redirectUri,
      user: code.user,
      scope: code.scope,
      code_challenge: code.codeChallenge,
      resource: code.resource,
      expires_at: code.expiresAt,
      used: code.used,
      used_at: code.usedAt,
    },
  ]);
  const tokens = [...data.tokens].map(([hash, token]): [string, unknown] => [
    hash,
    {
      grant: token.grant,
      kind: token.kind,
      client_id: token.clientId,
      user: token.user,
      scope: token.scope,
      resource: token.resource,
      expires_at: token.expiresAt,
      rotated: token.rotated,
    },
  ]);
  return (
    `{\n  "clients": ${section(clients)},\n  "codes": ${section(codes)},\n` +
    `  "tokens": ${section(tokens)}\n}`
  );
}

/** A map as pretty JSON at the second level, written by hand so every key keeps its place. */
function section(entries: Array<[string, unknown]>): string {
  if (entries.length === 0) {
    return "{}";
  }
  entries.sort(([a], [b]) => compareUtf8(a, b));
  const lines = entries.map(
    ([key, value]) =>
      `    ${JSON.stringify(key)}: ${JSON.stringify(value, null, 2).replaceAll("\n", "\n    ")}`,
  );
  return `{\n${lines.join(",\n")}\n  }`;
}

function parse(text: string): Data {
  const raw: unknown = JSON.parse(text);
  if (!isObject(raw) || !isObject(raw["codes"]) || !isObject(raw["tokens"])) {
    throw new Error("expected a JSON object with `codes` and `tokens` objects");
  }
  const rawClients = raw["clients"] ?? {};
  if (!isObject(rawClients)) {
    throw new Error("`clients` must be an object");
  }
  const clients = new Map<string, Client>();
  for (const [id, value] of Object.entries(rawClients)) {
    const field = fields(value, `clients.${id}`);
    const secretHash = optionalString(field, "secret_hash");
    const scope = field("scope");
    clients.set(id, {
      secretHash,
      issuedAt: wholeNumber(field, "issued_at"),
      clientName: optionalString(field, "client_name"),
      redirectUris: stringList(field, "redirect_uris"),
      grantTypes: stringList(field, "grant_types"),
      responseTypes: stringList(field, "response_types"),
      tokenEndpointAuthMethod: stringField(field, "token_endpoint_auth_method"),
      applicationType: stringField(field, "application_type"),
      scope: scope === undefined || scope === null ? null : stringList(field, "scope"),
    });
  }
  const codes = new Map<string, Code>();
  for (const [hash, value] of Object.entries(raw["codes"])) {
    const field = fields(value, `codes.${hash}`);
    const challenge = field("code_challenge");
    if (challenge !== undefined && challenge !== null && typeof challenge !== "string") {
      throw new Error(`codes.${hash}.code_challenge must be a string or null`);
    }
    codes.set(hash, {
      grant: stringField(field, "grant"),
      clientId: stringField(field, "client_id"),
      redirectUri: stringField(field, "redirect_uri"),
      user: stringField(field, "user"),
      scope: scopeField(field),
      codeChallenge: challenge ?? null,
      resource: optionalString(field, "resource"),
      expiresAt: secondsField(field),
      used: flagField(field, "used"),
      usedAt: field("used_at") == null ? null : wholeNumber(field, "used_at"),
    });
  }
  const tokens = new Map<string, Token>();
  for (const [hash, value] of Object.entries(raw["tokens"])) {
    const field = fields(value, `tokens.${hash}`);
    const kind = field("kind");
    if (kind !== "access" && kind !== "refresh") {
      throw new Error(`tokens.${hash}.kind must be "access" or "refresh"`);
    }
    tokens.set(hash, {
      grant: stringField(field, "grant"),
      kind,
      clientId: stringField(field, "client_id"),
      user: stringField(field, "user"),
      scope: scopeField(field),
      resource: optionalString(field, "resource"),
      expiresAt: secondsField(field),
      rotated: flagField(field, "rotated"),
    });
  }
  return { clients, codes, tokens };
}

/** Reads the fields of the entry at `where`; the error names the field. */
type Field = ((name: string) => unknown) & { readonly where: string };

function fields(value: unknown, where: string): Field {
  if (!isObject(value)) {
    throw new Error(`${where} must be an object`);
  }
  return Object.assign((name: string) => value[name], { where });
}

function stringField(field: Field, name: string): string {
  const value = field(name);
  if (typeof value !== "string") {
    throw new Error(`${field.where}.${name} must be a string`);
  }
  return value;
}

/** A string, or null when absent or null. */
function optionalString(field: Field, name: string): string | null {
  const value = field(name);
  if (value === undefined || value === null) {
    return null;
  }
  if (typeof value !== "string") {
    throw new Error(`${field.where}.${name} must be a string or null`);
  }
  return value;
}

function stringList(field: Field, name: string): string[] {
  const value = field(name);
  if (!Array.isArray(value) || !value.every((word) => typeof word === "string")) {
    throw new Error(`${field.where}.${name} must be a list of strings`);
  }
  return value as string[];
}

function scopeField(field: Field): string[] {
  return stringList(field, "scope");
}

function secondsField(field: Field): number {
  return wholeNumber(field, "expires_at");
}

function wholeNumber(field: Field, name: string): number {
  const value = field(name);
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new Error(`${field.where}.${name} must be a whole number`);
  }
  return value;
}

function flagField(field: Field, name: string): boolean {
  const value = field(name);
  if (typeof value !== "boolean") {
    throw new Error(`${field.where}.${name} must be true or false`);
  }
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
