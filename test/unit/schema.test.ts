/**
 * The drizzle tables (shared/src/adapters/libsql/schema.ts) are the typed view
 * of the DDL in shared/migrations: after every migration is applied to an
 * empty database, each drizzle table exists with exactly its columns, each
 * column with the same NOT NULL and primary-key flags and a compatible type.
 * A column added to one side only fails here, not in a query at run time.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient, type Client } from "@libsql/client";
import { is } from "drizzle-orm";
import { getTableConfig, SQLiteTable } from "drizzle-orm/sqlite-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import * as schema from "@shared/adapters/libsql/schema";
import { embeddedMigrations } from "@shared/adapters/libsql/migrations.generated";
import { applyMigrations } from "@shared/adapters/libsql/migrator";

const tables: SQLiteTable[] = Object.values(schema as Record<string, unknown>).filter((v): v is SQLiteTable => is(v, SQLiteTable));

let dir: string;
let client: Client;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "na-schema-"));
  client = createClient({ url: `file:${path.join(dir, "schema.db")}` });
  await applyMigrations(client, embeddedMigrations);
});
afterAll(() => {
  client?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** SQLite's type affinity of a declared type (section 3.1 of its datatype rules). */
function affinity(declared: string): string {
  const t = declared.toUpperCase();
  if (t.includes("INT")) return "INTEGER";
  if (/CHAR|CLOB|TEXT/.test(t)) return "TEXT";
  if (t === "" || t.includes("BLOB")) return "BLOB";
  if (/REAL|FLOA|DOUB/.test(t)) return "REAL";
  return "NUMERIC";
}

it("finds the drizzle tables (the check below walks all of them)", () => {
  expect(tables.length).toBeGreaterThanOrEqual(10);
});

it("every drizzle table matches the migrated database: same columns, NOT NULL, primary key and type affinity", async () => {
  const problems: string[] = [];
  for (const table of tables) {
    const config = getTableConfig(table);
    const info = await client.execute(`PRAGMA table_info(${JSON.stringify(config.name)})`);
    if (info.rows.length === 0) {
      problems.push(`${config.name}: no such table after the migrations`);
      continue;
    }
    const actual = new Map(info.rows.map((r) => [String(r.name), { type: String(r.type), notNull: Number(r.notnull) === 1, pk: Number(r.pk) > 0 }]));
    const compositeKey = new Set(config.primaryKeys.flatMap((k) => k.columns.map((c) => c.name)));
    for (const column of config.columns) {
      const a = actual.get(column.name);
      if (!a) {
        problems.push(`${config.name}.${column.name}: declared in drizzle, missing in the database`);
        continue;
      }
      actual.delete(column.name);
      const pk = column.primary || compositeKey.has(column.name);
      if (a.pk !== pk) problems.push(`${config.name}.${column.name}: primary key ${pk} in drizzle, ${a.pk} in the database`);
      // SQLite lets a non-integer primary key column hold NULL unless declared NOT NULL; drizzle treats a primary key as not null.
      if (a.notNull !== column.notNull && !(pk && column.notNull)) problems.push(`${config.name}.${column.name}: NOT NULL ${column.notNull} in drizzle, ${a.notNull} in the database`);
      const expected = affinity(column.getSQLType());
      if (affinity(a.type) !== expected) problems.push(`${config.name}.${column.name}: ${column.getSQLType()} in drizzle, ${a.type} in the database`);
    }
    for (const name of actual.keys()) problems.push(`${config.name}.${name}: in the database, not declared in drizzle`);
  }
  expect(problems).toEqual([]);
});
