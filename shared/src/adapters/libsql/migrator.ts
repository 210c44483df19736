/**
 * Applies the schema migrations that travel inside the code
 * (`migrations.generated.ts`, made from `shared/migrations` by
 * `npm run migrations:embed`). A Lambda bundle has no `shared/migrations`
 * folder to read, and a local run uses the very same list: one way for both.
 *
 * Safe for many processes starting at once on an empty database (8 Lambda
 * containers cold-starting together, or the local API and its workers):
 *
 * 1. A plain read asks whether anything is pending; usually nothing is, and
 *    the start costs one round trip.
 * 2. Otherwise the check is repeated inside a write transaction
 *    (BEGIN IMMEDIATE), which SQLite/libSQL grant to one connection at a
 *    time. The first process applies every pending migration and records it
 *    in the same transaction; the others wait for the lock, then find nothing
 *    left to do. A migration is never applied twice or half.
 *
 * Book-keeping is drizzle's own (`__drizzle_migrations`: hash, created_at =
 * the journal's `when`), so databases migrated by drizzle's migrator before
 * carry on from where they are.
 */
import type { Client } from "@libsql/client";

export interface EmbeddedMigration {
  /** drizzle-kit's tag, e.g. "0001_search". */
  tag: string;
  /** The journal's `when`: migrations apply in this order, and it is what the database records. */
  when: number;
  /** sha256 of the migration file, as drizzle records it. */
  hash: string;
  /** The file split at `--> statement-breakpoint`. */
  statements: string[];
}

const TABLE = "__drizzle_migrations";
/** drizzle's definition of its book-keeping table (kept as is for compatibility). */
const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS "${TABLE}" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`;
const LAST_APPLIED = `SELECT created_at FROM "${TABLE}" ORDER BY created_at DESC LIMIT 1`;

export interface MigrationOutcome {
  /** Tags this call applied (empty when another process had already done it). */
  applied: string[];
}

/** Applies what `migrations` has beyond the database's last recorded migration. */
export async function applyMigrations(client: Pick<Client, "execute" | "transaction">, migrations: readonly EmbeddedMigration[]): Promise<MigrationOutcome> {
  const latest = migrations.reduce((max, m) => Math.max(max, m.when), 0);
  if ((await lastApplied(client)) >= latest) return { applied: [] };

  const tx = await client.transaction("write");
  try {
    await tx.execute(CREATE_TABLE);
    const last = await lastApplied(tx);
    const pending = migrations.filter((m) => m.when > last).sort((a, b) => a.when - b.when);
    const statements = pending.flatMap((m) => [
      ...m.statements.filter((s) => s.trim() !== "").map((sql) => ({ sql, args: [] })),
      { sql: `INSERT INTO "${TABLE}" ("hash", "created_at") VALUES (?, ?)`, args: [m.hash, m.when] },
    ]);
    // One round trip for all of it (a remote database answers a batch in one request).
    if (statements.length > 0) await tx.batch(statements);
    await tx.commit();
    return { applied: pending.map((m) => m.tag) };
  } finally {
    tx.close();
  }
}

/** `when` of the last recorded migration; 0 when none is (or the table does not exist yet). */
async function lastApplied(client: Pick<Client, "execute">): Promise<number> {
  try {
    const rs = await client.execute(LAST_APPLIED);
    return Number(rs.rows[0]?.created_at ?? 0);
  } catch (error) {
    if (/no such table/i.test(error instanceof Error ? error.message : String(error))) return 0;
    throw error;
  }
}
