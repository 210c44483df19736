/**
 * The dashboard's series sampler reads the freshness lag every 10 s on the
 * API process's event loop (the libSQL driver is synchronous). That read must
 * not grow with the library: it is answered from a partial index that holds
 * only the resources not yet current, never from the table's rows (whose
 * large text columns sit before `updated_at`, so reading a row walks its
 * overflow pages). And its figures are the nearest-rank percentiles of the
 * lagging rows' ages, as before.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Store } from "@shared/adapters/libsql/store";
import { lagFigures, lagQueries, percentile } from "@shared/app/monitoringSeries";

let dir: string;
let store: Store;
const NOW = Date.parse("2026-12-06T12:00:00.000Z");
const BIG = "x".repeat(20_000);

/** [status, embedded, content, indexed, revision, quality, classified, seconds ago] */
type Row = [string, number, number, number, number, number, number, number];
const rows: Row[] = [];
// 300 current rows: they must not be read at all.
for (let i = 0; i < 300; i++) rows.push(["completed", 2, 2, 3, 3, 3, 2, 1000 + i]);
// Lagging rows, one per way of not being current, with various ages.
const lagging: Row[] = [
  ["pending", 0, 0, 0, 0, 0, 0, 5],
  ["processing", 0, 1, 0, 1, 0, 0, 12.5],
  ["completed", 1, 2, 3, 3, 3, 2, 30],
  ["completed", 2, 2, 2, 3, 3, 2, 61],
  ["completed", 2, 2, 3, 3, 2, 2, 7],
  ["completed", 2, 2, 3, 3, 3, 1, 300],
];
rows.push(...lagging);
// Failed rows are not lagging, whatever their revisions.
rows.push(["failed", 0, 1, 0, 1, 0, 0, 50]);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "na-lag-"));
  store = Store.open({ url: `file:${path.join(dir, "store.db")}` });
  await store.migrate();
  let n = 0;
  for (const [status, embedded, content, indexed, revision, quality, classified, ago] of rows) {
    const at = new Date(NOW - ago * 1000).toISOString();
    await store.client.execute({
      sql: `INSERT INTO resources (id, input_content, content, ingestion_status, embedded_revision, content_revision, indexed_revision, revision, quality_revision, classified_revision, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      args: [`r${n++}`, BIG, BIG, status, embedded, content, indexed, revision, quality, classified, at, at],
    });
  }
});
afterAll(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

it("gives the nearest-rank p50 / p99 of the lagging resources' ages and their count", async () => {
  const ages = lagging.map((r) => r[7]).sort((a, b) => a - b);
  expect(await lagFigures(store.client, NOW)).toEqual({ p50: percentile(ages, 50), p99: percentile(ages, 99), lagging: lagging.length });
});

it("answers 0 / 0 / 0 when everything is current", async () => {
  const empty = Store.open({ url: `file:${path.join(dir, "empty.db")}` });
  try {
    await empty.migrate();
    expect(await lagFigures(empty.client, NOW)).toEqual({ p50: 0, p99: 0, lagging: 0 });
  } finally {
    empty.close();
  }
});

it("reads only the partial index of resources not yet current, never the table", async () => {
  for (const sql of lagQueries()) {
    const plan = await store.client.execute(`EXPLAIN QUERY PLAN ${sql}`);
    const detail = plan.rows.map((r) => String(r.detail)).join("\n");
    expect(detail, sql).toMatch(/USING COVERING INDEX resources_not_current_idx/);
    expect(detail, sql).not.toMatch(/SCAN resources(?! USING COVERING INDEX)/);
  }
});
