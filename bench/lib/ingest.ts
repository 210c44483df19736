/**
 * Posts documents at once through the API and waits until every one is up to
 * date (the `upToDate` of GET /resources/{id}/status, read from the store in
 * one query). A document's completion time is the finish of its last
 * successful pipeline task in the ledger, so polling granularity does not
 * count.
 */
import type { LocalStack } from "@local/stack";
import { expectStatus, sleep } from "./http";
import { ledgerFor, PIPELINE_TASKS, upToDateIds, type LedgerRow } from "./ledger";
import { unionLength } from "./stats";

export interface DocRun {
  id: string;
  postStart: number;
  postMs: number;
  doneAt: number;
  e2eMs: number;
  workMs: number;
  busyMs: number;
  attempts: number;
  /** Σ duration per pipeline task (all attempts). */
  perTask: Record<string, number>;
}

export interface Wave {
  concurrency: number;
  wallMs: number;
  docs: DocRun[];
}

/** Posts `contents` at once and waits until every one is up to date. */
export async function runWave(stack: Pick<LocalStack, "url" | "app">, contents: readonly string[], timeoutMs: number, pollMs: number): Promise<Wave> {
  const posted = await Promise.all(
    contents.map(async (content) => {
      const postStart = Date.now();
      const res = await expectStatus<{ id: string }>(202, stack.url, "POST", "/resources", { content, contentType: "text/markdown" });
      return { id: res.body.id, postStart, postMs: res.ms };
    }),
  );
  const ids = posted.map((p) => p.id);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const done = await upToDateIds(stack.app.store.client, ids);
    if (done.size === ids.length) break;
    if (Date.now() > deadline) throw new Error(`wave: ${ids.length - done.size} of ${ids.length} not up to date within ${timeoutMs} ms`);
    await sleep(pollMs);
  }
  // The ledger row is written right after the work; give the last one a moment.
  await sleep(50);
  const rows = await ledgerFor(stack.app.store.client, ids);
  const byId = new Map<string, LedgerRow[]>();
  for (const r of rows) if ((PIPELINE_TASKS as readonly string[]).includes(r.task)) byId.set(r.resourceId, [...(byId.get(r.resourceId) ?? []), r]);
  const runs: DocRun[] = posted.map((p) => {
    const mine = byId.get(p.id) ?? [];
    const succeeded = mine.filter((r) => r.status === "succeeded");
    const doneAt = Math.max(...succeeded.map((r) => r.finishedAt));
    return {
      ...p,
      doneAt,
      e2eMs: doneAt - p.postStart,
      workMs: mine.reduce((a, r) => a + r.durationMs, 0),
      busyMs: unionLength(mine.map((r) => [Math.max(r.startedAt, r.finishedAt - r.durationMs), r.finishedAt] as const)),
      attempts: mine.length,
      perTask: Object.fromEntries(PIPELINE_TASKS.map((t) => [t, mine.filter((r) => r.task === t).reduce((a, r) => a + r.durationMs, 0)])),
    };
  });
  const start = Math.min(...runs.map((r) => r.postStart));
  const end = Math.max(...runs.map((r) => r.doneAt));
  return { concurrency: contents.length, wallMs: end - start, docs: runs };
}

