/**
 * Benchmark 5 (requirements 15.1, 15.4): horizontal scale. Real OS processes
 * share one data directory and one SQS: the fauxqs server (local/src/sqsServer.ts),
 * one API process (local/src/api.ts) and 1, then 2, then 4 worker processes
 * (local/src/worker.ts; their pollers scale their own concurrency with queue
 * depth). Queue delays 0.
 *
 * Two mixes per worker count, each a batch of documents posted at once:
 * - CPU-bound: content ingestion of real documents (extraction, embedding,
 *   indexing, quality, classification);
 * - I/O-bound: URL ingestion from a local HTTP server (127.0.0.1) that
 *   answers each request after 200 ms with a short real document.
 * Throughput = documents / (first POST → last pipeline task finished, from the
 * ledger); scaling efficiency = throughput(n) / (n × throughput(1)).
 */
import http from "node:http";
import { rmSync } from "node:fs";
import path from "node:path";
import { createClient, type Client } from "@libsql/client";
import { instantTimings } from "@shared/events/routing";
import { pickDocs, variant, type Doc } from "./lib/corpus";
import { expectStatus, sleep } from "./lib/http";
import { ledgerFor, PIPELINE_TASKS, upToDateIds } from "./lib/ledger";
import { freePort, spawnTs, type ManagedProcess } from "@test/helpers/processes";
import { pct, round } from "./lib/stats";
import { tempDir } from "./lib/stack";
import { benchRedisPrefix, benchRedisUrl, removeRedisKeys } from "./lib/redisKeys";
import type { Benchmark, Figure } from "./lib/report";

const IO_DELAY_MS = 200;

interface Round {
  workers: number;
  mix: "cpu" | "io";
  documents: number;
  wallMs: number;
  throughput: number;
  workMsPerDoc: number;
  failedAttempts: number;
}

function docServer(docs: readonly Doc[]): Promise<{ port: number; close(): Promise<void>; served: () => number }> {
  let served = 0;
  const server = http.createServer((req, res) => {
    const m = /^\/doc\/([\w-]+)\/(\d+)$/.exec(req.url ?? "");
    if (!m) {
      res.writeHead(404).end();
      return;
    }
    const doc = docs[Number(m[2]) % docs.length]!;
    const body = `${doc.text.slice(0, 1500).trimEnd()}\n\nBench copy ${m[1]}-${m[2]}.\n`;
    setTimeout(() => {
      served++;
      res.writeHead(200, { "content-type": "text/markdown; charset=utf-8" }).end(body);
    }, IO_DELAY_MS);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const addr = server.address();
      resolve({
        port: typeof addr === "object" && addr ? addr.port : 0,
        served: () => served,
        close: () => new Promise<void>((r) => server.close(() => r())),
      });
    });
  });
}

interface RoundResult {
  wallMs: number;
  /** Mean Σ pipeline task durations per document (ledger). */
  workMsPerDoc: number;
  /** Ledger rows other than succeeded/skipped (retries after SQLITE_BUSY and the like). */
  failedAttempts: number;
}

async function runRound(apiUrl: string, db: Client, bodies: ReadonlyArray<Record<string, unknown>>, timeoutMs: number): Promise<RoundResult> {
  const posted = await Promise.all(
    bodies.map(async (body) => {
      const postStart = Date.now();
      const res = await expectStatus<{ id: string }>(202, apiUrl, "POST", "/resources", body);
      return { id: res.body.id, postStart };
    }),
  );
  const ids = posted.map((p) => p.id);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const done = await upToDateIds(db, ids);
    if (done.size === ids.length) break;
    if (Date.now() > deadline) throw new Error(`scale round: ${ids.length - done.size} of ${ids.length} not up to date within ${timeoutMs} ms`);
    await sleep(200);
  }
  await sleep(100);
  const all = (await ledgerFor(db, ids)).filter((r) => (PIPELINE_TASKS as readonly string[]).includes(r.task));
  const rows = all.filter((r) => r.status === "succeeded");
  const end = Math.max(...rows.map((r) => r.finishedAt));
  const start = Math.min(...posted.map((p) => p.postStart));
  return {
    wallMs: end - start,
    workMsPerDoc: round(all.reduce((a, r) => a + r.durationMs, 0) / ids.length, 1),
    failedAttempts: all.filter((r) => r.status !== "succeeded" && r.status !== "skipped").length,
  };
}

export const scaleBench: Benchmark = async ({ quick }) => {
  const dataDir = tempDir("scale");
  const counts = [1, 2, 4];
  const nCpu = quick ? 30 : 80;
  const nIo = quick ? 40 : 120;
  const corpus = pickDocs(100);
  const server = await docServer(corpus);
  const procs: ManagedProcess[] = [];
  let db: Client | undefined;
  const rounds: Round[] = [];
  const notes: string[] = [];
  // Shared Redis: one process's invalidation must reach the others' L1.
  const redisUrl = benchRedisUrl();
  const redisPrefix = benchRedisPrefix("scale");
  try {
    const sqsPort = await freePort();
    const sqs = spawnTs("sqs", "local/src/sqsServer.ts", { env: { FAUXQS_PORT: String(sqsPort) } });
    procs.push(sqs);
    const endpoint = (await sqs.waitForLine(/SQS_ENDPOINT=(\S+)/))[1]!;
    const env = {
      DATA_DIR: dataDir,
      SQS_ENDPOINT: endpoint,
      QUEUE_PREFIX: `benchscale${process.pid}`,
      ROUTE_OVERRIDES: JSON.stringify(instantTimings()),
      ALLOW_PRIVATE_NETWORKS: "true",
      FAULT_TRANSIENT_RATE: "0",
      PORT: "0",
      LOG_LEVEL: "silent",
      REDIS_URL: redisUrl,
      REDIS_PREFIX: redisPrefix,
    };
    const apiProc = spawnTs("api", "local/src/api.ts", { env });
    procs.push(apiProc);
    const apiUrl = (await apiProc.waitForLine(/API_READY (\S+)/))[1]!;
    db = createClient({ url: `file:${path.join(dataDir, "alexandria.db")}` });

    const workers: ManagedProcess[] = [];
    let serial = 0;
    const cpuBodies = (n: number, tag: string) =>
      Array.from({ length: n }, (_, i) => ({ content: variant(corpus[(serial + i) % corpus.length]!, `${tag}-${i}`), contentType: "text/markdown" }));
    const ioBodies = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ url: `http://127.0.0.1:${server.port}/doc/${tag}/${serial + i}` }));

    for (const n of counts) {
      const starting: ManagedProcess[] = [];
      while (workers.length + starting.length < n) {
        const w = spawnTs(`worker${workers.length + starting.length + 1}`, "local/src/worker.ts", { env });
        procs.push(w);
        starting.push(w);
      }
      await Promise.all(starting.map((w) => w.waitForLine(/WORKER_READY/, 120_000)));
      workers.push(...starting);
      // Warm-up (not measured): new workers load their modules on the first tasks.
      await runRound(apiUrl, db, cpuBodies(starting.length + 1, `warm${n}`), 180_000);
      serial += starting.length + 1;

      for (const mix of ["cpu", "io"] as const) {
        const count = mix === "cpu" ? nCpu : nIo;
        const bodies = mix === "cpu" ? cpuBodies(count, `scale-${mix}-${n}`) : ioBodies(count, `scale-${mix}-${n}`);
        serial += count;
        await sleep(500);
        const r = await runRound(apiUrl, db, bodies, 600_000);
        rounds.push({ workers: n, mix, documents: count, wallMs: r.wallMs, throughput: round(count / (r.wallMs / 1000)), workMsPerDoc: r.workMsPerDoc, failedAttempts: r.failedAttempts });
      }
    }
    for (const w of workers) if (!w.isRunning()) notes.push(`${w.name} exited early`);
  } finally {
    db?.close();
    // Workers first (SIGTERM drains in-flight tasks), then the API and the queue.
    for (const p of [...procs].reverse()) await p.kill("SIGTERM", 15_000);
    await server.close();
    await removeRedisKeys(redisUrl, redisPrefix);
    rmSync(dataDir, { recursive: true, force: true });
  }

  const thr = (mix: "cpu" | "io", n: number) => rounds.find((r) => r.mix === mix && r.workers === n)?.throughput ?? Number.NaN;
  const eff = (mix: "cpu" | "io", n: number) => thr(mix, n) / (n * thr(mix, 1));
  const figures: Figure[] = (["cpu", "io"] as const).flatMap((mix) => [
    {
      ref: "15.1",
      what: `${mix === "cpu" ? "CPU-bound" : "I/O-bound"} mix, docs/s with 1 / 2 / 4 workers`,
      requirement: "—",
      aim: "—",
      measured: counts.map((n) => thr(mix, n).toFixed(2)).join(" / "),
      value: thr(mix, 4),
      unit: "docs/s",
    },
    {
      ref: "15.1",
      what: `· scaling efficiency, ${mix === "cpu" ? "CPU" : "I/O"}: 2 / 4 workers`,
      requirement: "linear",
      aim: "—",
      measured: `${pct(eff(mix, 2), 0)} / ${pct(eff(mix, 4), 0)}`,
      value: round(eff(mix, 4)),
      unit: "ratio",
    },
  ]);
  notes.push(
    `Processes: fauxqs server, 1 API, 1/2/4 workers, one libSQL file. ${nCpu} documents per CPU round, ${nIo} per I/O round (each URL answered after ${IO_DELAY_MS} ms with ~1.5 KB); a small warm-up round (not measured) after each scale step.`,
    "This machine has 2 cores shared by every process (and by other work while measuring): CPU-bound throughput cannot exceed what 2 cores give, so efficiency at 4 workers is capped near 50% there; the I/O-bound mix shows what adding workers buys when tasks wait.",
  );
  return { title: "Scale-out", figures, details: { rounds, ioRequestsServed: server.served() }, notes };
};
