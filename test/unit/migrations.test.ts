/**
 * The schema travels inside the code (migrations.generated.ts): it must stay
 * in step with shared/migrations, apply once and whole when many processes
 * start together on an empty database, and carry on from databases that
 * drizzle's own migrator set up before.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createClient } from "@libsql/client";
import { createClient as createWebClient } from "@libsql/client/web";
import { drizzle } from "drizzle-orm/libsql";
import { migrate as drizzleMigrate } from "drizzle-orm/libsql/migrator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { embeddedMigrations } from "@shared/adapters/libsql/migrations.generated";
import { GENERATED_MODULE, MIGRATIONS_DIR, renderMigrationsModule } from "@shared/adapters/libsql/migrationsModule";
import { applyMigrations } from "@shared/adapters/libsql/migrator";
import { Store } from "@shared/adapters/libsql/store";
import { startLibsqlServerStandIn, type LibsqlServerStandIn } from "../helpers/libsqlServerStandIn";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "na-migrations-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string) => `file:${path.join(dir, name)}`;

it("the embedded migrations are shared/migrations as they are now (else run `npm run migrations:embed`)", () => {
  expect(readFileSync(GENERATED_MODULE, "utf8")).toBe(renderMigrationsModule());
  expect(embeddedMigrations.length).toBeGreaterThan(0);
});

describe("eight stores starting at once on an empty database", () => {
  let server: LibsqlServerStandIn;
  beforeAll(async () => {
    server = await startLibsqlServerStandIn({ file: path.join(dir, "remote.db") });
  });
  afterAll(() => server.close());

  // Over HTTP, as on AWS. (Local processes on one file each have their own SQLite connection and
  // busy timeout; several stores inside ONE process would make SQLite's blocking busy wait stall
  // the event loop that the lock holder needs, which is not a way the system runs.)
  it("libSQL over HTTP: every migration applied exactly once, all stores up", async () => {
    const stores = Array.from({ length: 8 }, () => Store.open({ url: server.url, authToken: server.authToken }));
    try {
      await Promise.all(stores.map((s) => s.migrate()));
      const rows = await stores[0]!.client.execute("SELECT hash, created_at FROM __drizzle_migrations ORDER BY created_at");
      expect(rows.rows.map((r) => Number(r.created_at))).toEqual(embeddedMigrations.map((m) => m.when));
      expect(rows.rows.map((r) => String(r.hash))).toEqual(embeddedMigrations.map((m) => m.hash));
      // The FTS table of the custom migration exists and works.
      await stores[0]!.client.execute("SELECT count(*) FROM resources_fts WHERE resources_fts MATCH 'x'");
    } finally {
      for (const s of stores) s.close();
    }
  });

  it("a web client (what Lambda bundles use) migrates and then finds nothing to do", async () => {
    const fresh = await startLibsqlServerStandIn({ file: path.join(dir, "web.db") });
    const client = createWebClient({ url: fresh.url, authToken: fresh.authToken });
    try {
      expect((await applyMigrations(client, embeddedMigrations)).applied).toEqual(embeddedMigrations.map((m) => m.tag));
      expect((await applyMigrations(client, embeddedMigrations)).applied).toEqual([]);
    } finally {
      client.close();
      await fresh.close();
    }
  });
});

describe("databases that exist already", () => {
  it("carries on from a database drizzle's own migrator set up", async () => {
    const client = createClient({ url: file("drizzle.db") });
    try {
      await drizzleMigrate(drizzle(client), { migrationsFolder: MIGRATIONS_DIR });
      expect((await applyMigrations(client, embeddedMigrations)).applied).toEqual([]);
    } finally {
      client.close();
    }
  });

  it("applies only the migrations a database lacks, in order", async () => {
    const client = createClient({ url: file("partial.db") });
    try {
      const [first, second, ...rest] = embeddedMigrations;
      expect((await applyMigrations(client, [first!, second!])).applied).toEqual([first!.tag, second!.tag]);
      expect((await applyMigrations(client, embeddedMigrations)).applied).toEqual(rest.map((m) => m.tag));
      const count = await client.execute("SELECT count(*) AS n FROM __drizzle_migrations");
      expect(Number(count.rows[0]?.n)).toBe(embeddedMigrations.length);
    } finally {
      client.close();
    }
  });

  it("leaves nothing half-applied when a migration fails", async () => {
    const client = createClient({ url: file("failing.db") });
    try {
      const broken = { tag: "9999_broken", when: Number.MAX_SAFE_INTEGER, hash: "x", statements: ["CREATE TABLE half_done (id integer)", "NOT SQL AT ALL"] };
      await expect(applyMigrations(client, [...embeddedMigrations, broken])).rejects.toThrow();
      const tables = await client.execute("SELECT name FROM sqlite_master WHERE name IN ('half_done', 'resources')");
      expect(tables.rows).toEqual([]);
    } finally {
      client.close();
    }
  });
});
