import Database from "better-sqlite3";

/**
 * Opens a service's SQLite database the way every proofwatch store needs it: WAL, so that
 * readers never block the writer; synchronous FULL, so that a commit survives power loss
 * and not only a crash of the process (the write rates are small); and the schema brought
 * up to date by numbered migrations kept in `user_version`.
 */
export function openDatabase(file: string, migrations: readonly string[]): Database.Database {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("busy_timeout = 5000");
  const current = db.pragma("user_version", { simple: true }) as number;
  if (current > migrations.length) {
    db.close();
    throw new Error(
      `database schema version ${current} is newer than this proofwatch (${migrations.length})`,
    );
  }
  for (let version = current; version < migrations.length; version++) {
    db.transaction(() => {
      db.exec(migrations[version] as string);
      db.pragma(`user_version = ${version + 1}`);
    })();
  }
  return db;
}

/** What every store has: its database opened as above, IMMEDIATE transactions, close. */
export class SqliteStore {
  readonly db: Database.Database;
  // Compiling a statement costs more than running most of ours (it showed as 8-9% of the
  // verifier's main thread); the texts are a fixed, small set, so each is compiled once.
  private readonly statements = new Map<string, Database.Statement>();

  constructor(file: string, migrations: readonly string[]) {
    this.db = openDatabase(file, migrations);
  }

  close(): void {
    this.db.close();
  }

  /** The compiled statement for `sql`, compiled on first use and kept. */
  protected statement(sql: string): Database.Statement {
    let compiled = this.statements.get(sql);
    if (compiled === undefined) {
      compiled = this.db.prepare(sql);
      this.statements.set(sql, compiled);
    }
    return compiled;
  }

  /** Runs `fn` in one IMMEDIATE transaction: the write lock is taken at the start, so what
   * `fn` reads cannot change before it writes. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  /** The `n` of a `SELECT count(*) AS n …` query. */
  protected count(sql: string, ...params: unknown[]): number {
    return (this.statement(sql).get(...params) as { n: number }).n;
  }
}
