/**
 * The database behind the TODO store and the OAuth grants: SQLite (`node:sqlite`) in the file
 * `DATA_PATH` by default, or PostgreSQL (`pg`) when `DATABASE_URL` is set, with the same schema
 * and the same SQL, written with `$1, $2...` placeholders.
 */

import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { DatabaseSync, StatementSync } from "node:sqlite";

import type { Pool, PoolClient } from "pg";

/** The schema this code creates and understands (`schema_version`). */
export const SCHEMA_VERSION = 1;

/** A value bound to a placeholder. */
export type Param = string | number | null;

/** A row of a result, by column name. */
export type Row = Readonly<Record<string, unknown>>;

/** Runs SQL: the database itself, or one transaction of it. */
export interface Queries {
  /** The rows of `sql`, with `params` bound to `$1, $2...`. */
  query(sql: string, params?: readonly Param[]): Promise<Row[]>;
}

/** An open database. */
export interface Database extends Queries {
  /** Runs `work` in one transaction: committed if it returns, rolled back if it throws. */
  transaction<R>(work: (tx: Queries) => Promise<R>): Promise<R>;
  /**
   * `sqlite`: this process is the only one writing the file (see {@link openDatabase}).
   * `postgres`: other instances may write at any time.
   */
  readonly dialect: "sqlite" | "postgres";
  close(): Promise<void>;
}

/** Where the data is, as `config.ts` read it. */
export interface DatabaseSettings {
  /** `DATA_PATH`: the SQLite file, unless `databaseUrl` is set. */
  readonly dataPath: string;
  /** `DATABASE_URL`: a `postgres://` URL, or null for SQLite. */
  readonly databaseUrl: string | null;
  /** `SQLITE_SYNCHRONOUS`: `full` (survives power loss) or `normal` (survives a crash). */
  readonly sqliteSynchronous: "full" | "normal";
}

/** A database that cannot be opened or used; the message says which and why. */
export class DatabaseError extends Error {
  override name = "DatabaseError";
}

/**
 * Opens the database and creates or checks its schema. On SQLite, first locks
 * `<DATA_PATH>.lock` until {@link Database.close}, and fails if another server holds it: the
 * TODO store keeps the lists it has read in memory, which is only right while no other process
 * writes the file. Several instances share one PostgreSQL database instead.
 *
 * @throws DatabaseError naming the database.
 */
export async function openDatabase(settings: DatabaseSettings): Promise<Database> {
  const where =
    settings.databaseUrl === null
      ? `the SQLite database \`${settings.dataPath}\` (DATA_PATH)`
      : "the PostgreSQL database of DATABASE_URL";
  let db: Database;
  try {
    db =
      settings.databaseUrl === null
        ? await openSqlite(settings.dataPath, settings.sqliteSynchronous)
        : await connectPostgres(settings.databaseUrl);
  } catch (error) {
    if (error instanceof DatabaseError) {
      throw error;
    }
    throw new DatabaseError(`could not open ${where}: ${(error as Error).message}`);
  }
  try {
    await createSchema(db, where);
  } catch (error) {
    await db.close();
    if (error instanceof DatabaseError) {
      throw error;
    }
    throw new DatabaseError(`could not create the tables in ${where}: ${(error as Error).message}`);
  }
  return db;
}

/** Version 1: every table, created if missing, in one transaction. */
async function createSchema(db: Database, where: string) {
  const id =
    db.dialect === "sqlite"
      ? "INTEGER PRIMARY KEY AUTOINCREMENT"
      : "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY";
  await db.transaction(async (tx) => {
    if (db.dialect === "postgres") {
      // Instances starting together would race on CREATE TABLE IF NOT EXISTS: one at a time.
      await tx.query("SELECT pg_advisory_xact_lock(1505)");
    }
    for (const statement of [
      "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)",
      `CREATE TABLE IF NOT EXISTS todos (id ${id}, username TEXT NOT NULL, todo TEXT NOT NULL)`,
      "CREATE INDEX IF NOT EXISTS todos_by_user ON todos (username, id)",
      "CREATE TABLE IF NOT EXISTS quotas (key TEXT PRIMARY KEY, used BIGINT NOT NULL)",
      `CREATE TABLE IF NOT EXISTS oauth_clients (client_id TEXT PRIMARY KEY,
        secret_hash TEXT NULL, client_name TEXT NULL, redirect_uris TEXT NOT NULL,
        scope TEXT NULL, issued_at BIGINT NOT NULL)`,
      `CREATE TABLE IF NOT EXISTS oauth_codes (code_hash TEXT PRIMARY KEY,
        grant_id TEXT NOT NULL, client_id TEXT NOT NULL, redirect_uri TEXT NOT NULL,
        username TEXT NOT NULL, scope TEXT NOT NULL, code_challenge TEXT NULL,
        resource TEXT NULL, expires_at BIGINT NOT NULL, used_at BIGINT NULL)`,
      `CREATE TABLE IF NOT EXISTS oauth_tokens (token_hash TEXT PRIMARY KEY,
        grant_id TEXT NOT NULL, kind TEXT NOT NULL, client_id TEXT NOT NULL,
        username TEXT NOT NULL, scope TEXT NOT NULL, resource TEXT NULL,
        expires_at BIGINT NOT NULL, rotated BOOLEAN NOT NULL DEFAULT FALSE)`,
      "CREATE INDEX IF NOT EXISTS oauth_tokens_by_grant ON oauth_tokens (grant_id)",
      `CREATE TABLE IF NOT EXISTS oauth_pending (id TEXT PRIMARY KEY, request TEXT NOT NULL,
        expires_at BIGINT NOT NULL)`,
    ]) {
      await tx.query(statement);
    }
    const [row] = await tx.query("SELECT max(version) AS version FROM schema_version");
    const version = row?.["version"] == null ? null : Number(row["version"]);
    if (version === null) {
      await tx.query("INSERT INTO schema_version (version) VALUES ($1)", [SCHEMA_VERSION]);
    } else if (version > SCHEMA_VERSION) {
      throw new DatabaseError(
        `${where} was made by a newer version of this plugin (schema version ${version}; this ` +
          `one knows ${SCHEMA_VERSION}): run that version, or point the plugin at another database`,
      );
    }
  });
}

/** SQLite's result code for a database another connection has locked. */
const SQLITE_BUSY = 5;

async function openSqlite(path: string, synchronous: "full" | "normal"): Promise<Database> {
  // Loaded only when used: PostgreSQL users never load it.
  const { DatabaseSync } = await import("node:sqlite");
  mkdirSync(dirname(path), { recursive: true });
  // The lock: a database of its own, `<path>.lock`, in a transaction that stays open. SQLite's
  // locks work in every operating system (Node.js has no other) and end with the process. It
  // is never written, so its journal stays in memory rather than in a file beside it.
  const lock = new DatabaseSync(`${path}.lock`);
  try {
    lock.exec(
      "PRAGMA busy_timeout = 0; PRAGMA journal_mode = MEMORY; PRAGMA locking_mode = EXCLUSIVE; " +
        "BEGIN EXCLUSIVE",
    );
  } catch (error) {
    lock.close();
    if ((error as { errcode?: unknown }).errcode === SQLITE_BUSY) {
      throw new DatabaseError(
        `another server uses the SQLite database at DATA_PATH \`${path}\` (it holds ` +
          `\`${path}.lock\`); stop it, or set DATA_PATH to another file. To run several ` +
          "instances on the same data, set DATABASE_URL to a PostgreSQL database",
      );
    }
    throw error;
  }
  try {
    const db = new DatabaseSync(path);
    db.exec(
      `PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA synchronous = ${synchronous}`,
    );
    return new Sqlite(db, lock);
  } catch (error) {
    lock.close();
    throw error;
  }
}

/**
 * SQLite through `node:sqlite`. Its calls are synchronous, but a transaction's work awaits
 * between them, when other requests run: so transactions take turns, and a query waits while
 * one is open, so it never sees another's uncommitted rows. With none open, a query runs at once.
 */
class Sqlite implements Database {
  readonly dialect = "sqlite";
  readonly #db: DatabaseSync;
  /** Holds `<DATA_PATH>.lock` until closed (see {@link openSqlite}). */
  readonly #lock: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  /** The end of the transactions waiting or running. */
  #tail: Promise<void> = Promise.resolve();
  /** How many transactions are waiting or running. */
  #open = 0;

  constructor(db: DatabaseSync, lock: DatabaseSync) {
    this.#db = db;
    this.#lock = lock;
  }

  query(sql: string, params: readonly Param[] = []): Promise<Row[]> {
    if (this.#open > 0) {
      return this.#turn(async () => this.#run(sql, params));
    }
    try {
      return Promise.resolve(this.#run(sql, params));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  transaction<R>(work: (tx: Queries) => Promise<R>): Promise<R> {
    return this.#turn(async () => {
      // IMMEDIATE takes the write lock at once, so another process cannot make us retry.
      this.#db.exec("BEGIN IMMEDIATE");
      try {
        const result = await work({
          query: async (sql, params = []) => this.#run(sql, params),
        });
        this.#db.exec("COMMIT");
        return result;
      } catch (error) {
        if (this.#db.isTransaction) {
          this.#db.exec("ROLLBACK");
        }
        throw error;
      }
    });
  }

  async close(): Promise<void> {
    await this.#tail;
    this.#db.close();
    this.#lock.close();
  }

  /** Runs `work` after the transactions before it. */
  #turn<R>(work: () => Promise<R>): Promise<R> {
    this.#open += 1;
    const result = this.#tail.then(work);
    const done = (): void => {
      this.#open -= 1;
    };
    this.#tail = result.then(done, done);
    return result;
  }

  #run(sql: string, params: readonly Param[]): Row[] {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      // SQLite reads `$1` as a parameter named "$1", numbered by first appearance; `?1` is
      // numbered 1 wherever it appears, as `$1` is in PostgreSQL.
      statement = this.#db.prepare(sql.replace(/\$(\d+)/g, "?$1"));
      this.#statements.set(sql, statement);
    }
    return statement.all(...params) as Row[];
  }
}

async function connectPostgres(url: string): Promise<Database> {
  const { default: pg } = await import("pg");
  const pool = new pg.Pool({
    connectionString: url,
    // BIGINT columns come back as numbers, as from SQLite (ids and times fit in 2^53).
    types: {
      getTypeParser: ((oid: number, format?: "text" | "binary") =>
        oid === pg.types.builtins.INT8
          ? Number
          : pg.types.getTypeParser(oid, format ?? "text")) as typeof pg.types.getTypeParser,
    },
    // Idle connections do not keep the process alive (tests end; the server keeps listening).
    allowExitOnIdle: true,
  });
  // Connects once now, so a wrong URL or a server that is down stops the start.
  (await pool.connect()).release();
  return new Postgres(pool);
}

/** PostgreSQL through a `pg` pool; a transaction holds one connection. */
class Postgres implements Database {
  readonly dialect = "postgres";
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  async query(sql: string, params: readonly Param[] = []): Promise<Row[]> {
    return (await this.#pool.query(sql, [...params])).rows as Row[];
  }

  async transaction<R>(work: (tx: Queries) => Promise<R>): Promise<R> {
    const client: PoolClient = await this.#pool.connect();
    try {
      await client.query("BEGIN");
      const result = await work({
        query: async (sql, params = []) => (await client.query(sql, [...params])).rows as Row[],
      });
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}
