/**
 * `npm start` for the benchmarks: local/src/main.ts as real processes (API,
 * queue server, workers) in a fresh data directory, and a few helpers the
 * process-model benchmarks share.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import { createClient, type Client } from "@libsql/client";
import { startNpmStart, type NpmStart } from "@test/helpers/npmStart";
import { tempDir } from "./stack";
import { upToDateIds } from "./ledger";
import { sleep } from "./http";

export interface BenchNpmStart extends NpmStart {
  store: Client;
  /** SIGTERM (drain); the data directory stays (a benchmark may read the store after). */
  stop(): Promise<void>;
  /** Stop, then remove the data directory. */
  dispose(): Promise<void>;
}

export async function startBenchNpmStart(label: string, options: { workers?: number; env?: Record<string, string | undefined> } = {}): Promise<BenchNpmStart> {
  const dataDir = tempDir(label);
  const stack = await startNpmStart({ dataDir, ...(options.workers ? { workers: options.workers } : {}), env: { WORKERS: options.workers ? String(options.workers) : undefined, ...options.env } });
  const store = createClient({ url: `file:${path.join(dataDir, "alexandria.db")}` });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    store.close();
    await stack.proc.kill("SIGTERM", 60_000);
  };
  return Object.assign(stack, {
    store,
    stop,
    async dispose() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

/** Runs `fn` over `items` with at most `concurrency` at once. */
export async function inParallel<T>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i]!, i);
      }
    }),
  );
}

/** Waits until every id is up to date (all pipeline data current), polling the store file. */
export async function untilAllCurrent(store: Client, ids: readonly string[], timeoutMs: number, onProgress?: (done: number) => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const done = (await upToDateIds(store, ids)).size;
    onProgress?.(done);
    if (done === ids.length) return;
    if (Date.now() > deadline) throw new Error(`${ids.length - done} of ${ids.length} documents not current within ${timeoutMs} ms`);
    await sleep(500);
  }
}
