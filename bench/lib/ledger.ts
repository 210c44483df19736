/** Reads of the task ledger (`task_runs`) and of resource freshness, straight from the store. */
import type { Client } from "@libsql/client";

export const PIPELINE_TASKS = ["ingestion", "embedding", "search-index", "quality", "classification"] as const;

export interface LedgerRow {
  task: string;
  resourceId: string;
  attempt: number;
  status: string;
  startedAt: number;
  finishedAt: number;
  durationMs: number;
}

export async function ledgerFor(client: Client, ids: readonly string[]): Promise<LedgerRow[]> {
  const out: LedgerRow[] = [];
  for (let i = 0; i < ids.length; i += 200) {
    const chunk = ids.slice(i, i + 200);
    const rs = await client.execute({
      sql: `SELECT task, resource_id, attempt, status, started_at, finished_at, duration_ms FROM task_runs WHERE resource_id IN (${chunk.map(() => "?").join(",")})`,
      args: [...chunk],
    });
    for (const r of rs.rows) {
      out.push({
        task: String(r.task),
        resourceId: String(r.resource_id),
        attempt: Number(r.attempt),
        status: String(r.status),
        startedAt: Date.parse(String(r.started_at)),
        finishedAt: r.finished_at === null ? Number.NaN : Date.parse(String(r.finished_at)),
        durationMs: Number(r.duration_ms ?? 0),
      });
    }
  }
  return out;
}

/** The `upToDate` of GET /resources/{id}/status, for many resources in one query. */
export const UP_TO_DATE_SQL = `ingestion_status = 'completed' AND embedded_revision >= content_revision AND indexed_revision >= revision
  AND quality_revision >= revision AND classified_revision >= content_revision`;

export async function upToDateIds(client: Client, ids: readonly string[]): Promise<Set<string>> {
  const done = new Set<string>();
  for (let i = 0; i < ids.length; i += 200) {
    const chunk = ids.slice(i, i + 200);
    const rs = await client.execute({ sql: `SELECT id FROM resources WHERE id IN (${chunk.map(() => "?").join(",")}) AND ${UP_TO_DATE_SQL}`, args: [...chunk] });
    for (const r of rs.rows) done.add(String(r.id));
  }
  return done;
}

export async function ingestionFailedIds(client: Client, ids: readonly string[]): Promise<Set<string>> {
  const failed = new Set<string>();
  for (let i = 0; i < ids.length; i += 200) {
    const chunk = ids.slice(i, i + 200);
    const rs = await client.execute({ sql: `SELECT id FROM resources WHERE id IN (${chunk.map(() => "?").join(",")}) AND ingestion_status = 'failed'`, args: [...chunk] });
    for (const r of rs.rows) failed.add(String(r.id));
  }
  return failed;
}
