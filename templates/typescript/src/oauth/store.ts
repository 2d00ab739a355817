/**
 * What the authorization server keeps, in the database (`../db.ts`): registered clients, codes,
 * tokens and the consent requests waiting for an answer. Plain SQL, the same in every stack.
 *
 * Only SHA-256 hashes of codes, tokens and client secrets are stored, so the database does not
 * hand out access if it leaks. Every code and token belongs to a grant (one approval by one
 * user); replaying a rotated refresh token revokes every token of its grant, and so does a
 * replayed code unless it is the same client retrying (`server.ts`). Using a code and rotating
 * a refresh token are each one statement, so of two concurrent requests exactly one wins.
 */

import type { Database, Queries, Row } from "../db.js";

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
  /** When it was exchanged (Unix seconds); a second exchange is a replay. */
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
}

/** A client registered with `POST /oauth/register` (RFC 7591). */
export interface Client {
  /** The SHA-256 of its secret, in hex; null for a public client. */
  readonly secretHash: string | null;
  /** When it registered, in Unix seconds. */
  readonly issuedAt: number;
  readonly clientName: string | null;
  readonly redirectUris: readonly string[];
  /** The scopes it may ask for, if it registered some. */
  readonly scope: readonly string[] | null;
}

/** The most clients `POST /oauth/register` keeps. */
export const MAX_CLIENTS = 1000;
/** How long a consent page can be answered, in seconds. */
export const PENDING_LIFETIME = 10 * 60;
/** The most requests waiting for an answer; past it the oldest are forgotten. */
export const MAX_PENDING = 10_000;

/** What looking up a refresh token to rotate it found. */
export type Lookup<T> =
  /** Live and unused; now marked used. */
  | { readonly found: "fresh"; readonly value: T }
  /** Used before: a replay. Every token of its grant is now revoked. */
  | { readonly found: "replayed" }
  /** No such live token. */
  | { readonly found: "unknown" };

/** What looking up a code to exchange it found: a replay says what the code was. */
export type CodeLookup =
  | { readonly found: "fresh"; readonly value: Code }
  | { readonly found: "replayed"; readonly value: Code }
  | { readonly found: "unknown" };

const CODE_COLUMNS =
  "grant_id, client_id, redirect_uri, username, scope, code_challenge, resource, expires_at, used_at";
const TOKEN_COLUMNS = "grant_id, kind, client_id, username, scope, resource, expires_at";

/** The persistent clients, codes, tokens and pending consent requests. */
export class Grants {
  readonly #db: Database;

  constructor(db: Database) {
    this.#db = db;
  }

  /** Keeps `code` under the hash of the code handed out. */
  addCode(codeHash: string, code: Code, now: number): Promise<void> {
    return this.#db.transaction(async (tx) => {
      await prune(tx, now);
      await tx.query(
        `INSERT INTO oauth_codes (code_hash, ${CODE_COLUMNS}) ` +
          "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        [
          codeHash,
          code.grant,
          code.clientId,
          code.redirectUri,
          code.user,
          code.scope.join(" "),
          code.codeChallenge,
          code.resource,
          code.expiresAt,
          code.usedAt,
        ],
      );
    });
  }

  /**
   * Marks the code used and returns it. A code used before is returned as a replay, with
   * nothing revoked: the caller decides (see {@link Grants.revoke}).
   */
  async useCode(codeHash: string, now: number): Promise<CodeLookup> {
    const [used] = await this.#db.query(
      "UPDATE oauth_codes SET used_at = $2 " +
        "WHERE code_hash = $1 AND expires_at > $2 AND used_at IS NULL " +
        `RETURNING ${CODE_COLUMNS}`,
      [codeHash, now],
    );
    if (used !== undefined) {
      return { found: "fresh", value: codeFrom(used) };
    }
    const [known] = await this.#db.query(
      `SELECT ${CODE_COLUMNS} FROM oauth_codes WHERE code_hash = $1 AND expires_at > $2`,
      [codeHash, now],
    );
    return known === undefined ? { found: "unknown" } : { found: "replayed", value: codeFrom(known) };
  }

  /** Removes every token of `grant`. */
  async revoke(grant: string): Promise<void> {
    await this.#db.query("DELETE FROM oauth_tokens WHERE grant_id = $1", [grant]);
  }

  /** The registered client `clientId`. */
  async client(clientId: string): Promise<Client | undefined> {
    const [row] = await this.#db.query(
      "SELECT secret_hash, client_name, redirect_uris, scope, issued_at " +
        "FROM oauth_clients WHERE client_id = $1",
      [clientId],
    );
    if (row === undefined) {
      return undefined;
    }
    return {
      secretHash: row["secret_hash"] == null ? null : String(row["secret_hash"]),
      issuedAt: Number(row["issued_at"]),
      clientName: row["client_name"] == null ? null : String(row["client_name"]),
      redirectUris: JSON.parse(String(row["redirect_uris"])) as string[],
      scope: row["scope"] == null ? null : words(row["scope"]),
    };
  }

  /** Keeps a new client; false when {@link MAX_CLIENTS} are already registered. */
  addClient(clientId: string, client: Client): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const counted = await tx.query(
        "INSERT INTO quotas (key, used) VALUES ($1, 1) ON CONFLICT (key) DO UPDATE " +
          "SET used = quotas.used + 1 WHERE quotas.used < $2 RETURNING used",
        ["oauth:clients", MAX_CLIENTS],
      );
      if (counted.length === 0) {
        return false;
      }
      await tx.query(
        "INSERT INTO oauth_clients " +
          "(client_id, secret_hash, client_name, redirect_uris, scope, issued_at) " +
          "VALUES ($1, $2, $3, $4, $5, $6)",
        [
          clientId,
          client.secretHash,
          client.clientName,
          JSON.stringify(client.redirectUris),
          client.scope === null ? null : client.scope.join(" "),
          client.issuedAt,
        ],
      );
      return true;
    });
  }

  /**
   * Marks a refresh token rotated and returns it, ending the access tokens issued with it; a
   * replay revokes its grant.
   */
  rotateRefresh(tokenHash: string, now: number): Promise<Lookup<Token>> {
    return this.#db.transaction(async (tx): Promise<Lookup<Token>> => {
      const [rotated] = await tx.query(
        "UPDATE oauth_tokens SET rotated = TRUE " +
          "WHERE token_hash = $1 AND kind = 'refresh' AND expires_at > $2 AND NOT rotated " +
          `RETURNING ${TOKEN_COLUMNS}`,
        [tokenHash, now],
      );
      if (rotated !== undefined) {
        const token = tokenFrom(rotated);
        // The access tokens issued with it end with it.
        await tx.query("DELETE FROM oauth_tokens WHERE grant_id = $1 AND kind = 'access'", [
          token.grant,
        ]);
        return { found: "fresh", value: token };
      }
      const [replayed] = await tx.query(
        "SELECT grant_id FROM oauth_tokens " +
          "WHERE token_hash = $1 AND kind = 'refresh' AND expires_at > $2",
        [tokenHash, now],
      );
      if (replayed === undefined) {
        return { found: "unknown" };
      }
      await tx.query("DELETE FROM oauth_tokens WHERE grant_id = $1", [String(replayed["grant_id"])]);
      return { found: "replayed" };
    });
  }

  /** Keeps new tokens under their hashes. */
  addTokens(tokens: ReadonlyArray<readonly [string, Token]>, now: number): Promise<void> {
    return this.#db.transaction(async (tx) => {
      await prune(tx, now);
      for (const [hash, token] of tokens) {
        await tx.query(
          `INSERT INTO oauth_tokens (token_hash, ${TOKEN_COLUMNS}) ` +
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
          [
            hash,
            token.grant,
            token.kind,
            token.clientId,
            token.user,
            token.scope.join(" "),
            token.resource,
            token.expiresAt,
          ],
        );
      }
    });
  }

  /** The live, unused refresh token with this hash. */
  refreshToken(tokenHash: string, now: number): Promise<Token | undefined> {
    return this.#token(tokenHash, "refresh", now);
  }

  /** The live access token with this hash. */
  accessToken(tokenHash: string, now: number): Promise<Token | undefined> {
    return this.#token(tokenHash, "access", now);
  }

  async #token(hash: string, kind: Token["kind"], now: number): Promise<Token | undefined> {
    const [row] = await this.#db.query(
      `SELECT ${TOKEN_COLUMNS} FROM oauth_tokens ` +
        "WHERE token_hash = $1 AND kind = $2 AND expires_at > $3 AND NOT rotated",
      [hash, kind, now],
    );
    return row === undefined ? undefined : tokenFrom(row);
  }

  /** Keeps a consent request (as JSON) for {@link PENDING_LIFETIME} seconds under `id`. */
  addPending(id: string, request: unknown, now: number): Promise<void> {
    return this.#db.transaction(async (tx) => {
      await tx.query("DELETE FROM oauth_pending WHERE expires_at <= $1", [now]);
      // Past MAX_PENDING, the oldest go.
      await tx.query(
        "DELETE FROM oauth_pending WHERE expires_at <= (SELECT expires_at FROM oauth_pending " +
          "ORDER BY expires_at DESC LIMIT 1 OFFSET $1)",
        [MAX_PENDING - 1],
      );
      await tx.query("INSERT INTO oauth_pending (id, request, expires_at) VALUES ($1, $2, $3)", [
        id,
        JSON.stringify(request),
        now + PENDING_LIFETIME,
      ]);
    });
  }

  /**
   * The consent request kept under `id`, deleted as it is returned (one statement, so it is
   * taken once); undefined if the id is unknown, was used or expired.
   */
  async takePending(id: string, now: number): Promise<unknown> {
    const [row] = await this.#db.query(
      "DELETE FROM oauth_pending WHERE id = $1 RETURNING request, expires_at",
      [id],
    );
    return row === undefined || Number(row["expires_at"]) <= now
      ? undefined
      : (JSON.parse(String(row["request"])) as unknown);
  }
}

/** Forgets the codes and tokens that have expired, so the tables do not grow forever. */
async function prune(tx: Queries, now: number): Promise<void> {
  await tx.query("DELETE FROM oauth_codes WHERE expires_at <= $1", [now]);
  await tx.query("DELETE FROM oauth_tokens WHERE expires_at <= $1", [now]);
}

/** A space-separated list as its words. */
function words(text: unknown): string[] {
  return String(text)
    .split(" ")
    .filter((word) => word !== "");
}

function codeFrom(row: Row): Code {
  return {
    grant: String(row["grant_id"]),
    clientId: String(row["client_id"]),
    redirectUri: String(row["redirect_uri"]),
    user: String(row["username"]),
    scope: words(row["scope"]),
    codeChallenge: row["code_challenge"] == null ? null : String(row["code_challenge"]),
    resource: row["resource"] == null ? null : String(row["resource"]),
    expiresAt: Number(row["expires_at"]),
    usedAt: row["used_at"] == null ? null : Number(row["used_at"]),
  };
}

function tokenFrom(row: Row): Token {
  return {
    grant: String(row["grant_id"]),
    kind: row["kind"] === "refresh" ? "refresh" : "access",
    clientId: String(row["client_id"]),
    user: String(row["username"]),
    scope: words(row["scope"]),
    resource: row["resource"] == null ? null : String(row["resource"]),
    expiresAt: Number(row["expires_at"]),
  };
}
