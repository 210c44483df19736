/**
 * Issue 15 finding 7: DELETE /resources/{id} removes everything derived from
 * or about the resource, in the same transaction, and no cached answer keeps
 * showing it.
 *
 * The store check reads the live schema (sqlite_master + pragma table_info),
 * so a table added later that refers to resources is checked too: every cell
 * of every table is searched for the deleted id. Only the two logs of what
 * happened (the outbox of events and the task-run log, both pruned by
 * retention and shown behind /monitoring) may still name it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql } from "drizzle-orm";
import { api, startTestStack, waitFor, type TestStack } from "../helpers/stack";
import { runJob } from "@shared/jobs/registry";

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack();
}, 60_000);

afterAll(async () => {
  await stack?.dispose();
});

/** Operational logs: they record events about the resource, including its deletion. */
const LOGS = new Set(["outbox", "task_runs"]);

/** Tables SQLite, libSQL and FTS5 keep for themselves (binary index pages, counters). */
function isInternal(table: string): boolean {
  return /^(sqlite_|libsql_|__drizzle)/.test(table) || /_shadow$/.test(table) || /_fts_(data|idx|docsize|config|content)$/.test(table);
}

async function tablesNaming(id: string): Promise<string[]> {
  const db = stack.app.store.db;
  const tables = await db.all<{ name: string }>(sql`SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name`);
  const found: string[] = [];
  for (const { name } of tables) {
    if (isInternal(name) || LOGS.has(name)) continue;
    const columns = await db.all<{ name: string; type: string }>(sql.raw(`SELECT name, type FROM pragma_table_info('${name}')`));
    for (const column of columns) {
      if (/BLOB/i.test(column.type)) continue;
      const [row] = await db.all<{ n: number }>(sql.raw(`SELECT count(*) AS n FROM "${name}" WHERE instr(CAST("${column.name}" AS TEXT), '${id}') > 0`));
      if (Number(row?.n) > 0) found.push(`${name}.${column.name}`);
    }
  }
  return found;
}

async function create(content: string, title: string): Promise<string> {
  const res = await api<{ id: string }>(stack, "POST", "/resources", { content, contentType: "text/markdown", title });
  expect(res.status).toBe(202);
  return res.body.id;
}

async function current(id: string): Promise<void> {
  await waitFor(async () => (await api<{ upToDate: boolean }>(stack, "GET", `/resources/${id}/status`)).body.upToDate, 60_000, 100);
}

const topic = (n: number) =>
  `# Write-ahead logging ${n}\n\nThe write-ahead log records every change before the pages are written, so a crash replays the log. Checkpoints copy the log into the database file. Note ${n}.`;

describe("DELETE /resources/{id}", () => {
  it("leaves no row about the resource in any table, and cached recommendations stop listing it at once", async () => {
    const doomed = await create(topic(1), "WAL internals");
    const kept = await create(topic(2), "WAL and checkpoints");
    const other = await create(`# Bread\n\nSourdough needs a starter, flour, water and salt. Note 3.`, "Bread");
    for (const id of [doomed, kept, other]) await current(id);

    // A stored profile (10 interactions refresh it) that names the doomed resource.
    for (let i = 0; i < 10; i++) {
      const r = await api(stack, "POST", "/interactions", { userId: "reader-1", resourceId: i % 2 === 0 ? doomed : kept, type: "view" });
      expect(r.status).toBe(201);
    }
    await waitFor(async () => {
      const rows = await stack.app.store.db.all<{ top: string | null }>(sql`SELECT top_resource_ids AS top FROM user_profiles WHERE user_id = 'reader-1'`);
      return rows[0]?.top?.includes(doomed);
    }, 60_000);

    // A second user, with a live profile, whose cached recommendations list the doomed resource.
    const track = await api(stack, "POST", "/interactions", { userId: "reader-2", resourceId: kept, type: "like" });
    expect(track.status).toBe(201);
    const before = await api<{ items: Array<{ id: string }> }>(stack, "GET", "/users/reader-2/recommendations");
    expect(before.status).toBe(200);
    expect(before.body.items.map((i) => i.id)).toContain(doomed);

    // Reads counted, a quality snapshot taken and a quality flag raised about it.
    for (let i = 0; i < 3; i++) expect((await api(stack, "GET", `/resources/${doomed}`)).status).toBe(200);
    await stack.app.popularity!.flush();
    await runJob(stack.app, "quality-degradation");
    await stack.app.store.db.run(
      sql`INSERT INTO quality_flags (resource_id, kind, details, created_at) VALUES (${doomed}, 'outlier', '{"dimensions":["completeness"]}', ${new Date().toISOString()})`,
    );
    const namedBefore = await tablesNaming(doomed);
    for (const t of ["interactions.resource_id", "user_profiles.top_resource_ids", "resource_stats.resource_id", "quality_flags.resource_id", "quality_snapshots.resource_id", "passages.resource_id", "resources.id"]) {
      expect(namedBefore).toContain(t);
    }

    const del = await api(stack, "DELETE", `/resources/${doomed}`);
    expect(del.status).toBe(204);

    // Right after the answer: no cached recommendation lists it.
    const after = await api<{ items: Array<{ id: string }> }>(stack, "GET", "/users/reader-2/recommendations");
    expect(after.status).toBe(200);
    expect(after.body.items.map((i) => i.id)).not.toContain(doomed);

    // Right after the answer: nothing in the store names it (a read counted before the delete is not written back either).
    await stack.app.popularity!.flush();
    expect(await tablesNaming(doomed)).toEqual([]);

    // The stored profile that named it is rebuilt through the profile-refresh task, from what is left.
    await waitFor(async () => {
      const rows = await stack.app.store.db.all<{ n: number }>(sql`SELECT refresh_count AS n FROM user_profiles WHERE user_id = 'reader-1'`);
      return Number(rows[0]?.n) >= 2;
    }, 60_000);
    const recs = await api<{ items: Array<{ id: string }> }>(stack, "GET", "/users/reader-1/recommendations");
    expect(recs.status).toBe(200);
    expect(recs.body.items.map((i) => i.id)).not.toContain(doomed);
    expect(await tablesNaming(doomed)).toEqual([]);
  }, 240_000);

  it("a read of a deleted resource counted before its deletion does not bring its statistics back", async () => {
    const id = await create(`# Short\n\nA short note about queues.`, "Short");
    await current(id);
    expect((await api(stack, "GET", `/resources/${id}`)).status).toBe(200);
    expect((await api(stack, "DELETE", `/resources/${id}`)).status).toBe(204);
    await stack.app.popularity!.flush();
    expect(await tablesNaming(id)).toEqual([]);
  }, 60_000);
});
