/**
 * Issue 14 item 4: HTTP that holds under load. 10,000 requests against
 * `npm start` (its defaults) from 16 concurrent keep-alive clients, mixed:
 * 20 % writes (POST /resources), 40 % reads (GET /resources/{id}), 25 %
 * searches, 15 % monitoring (/health, /monitoring/queues, /monitoring/workers).
 * The writes pile up work far faster than the workers drain it, so the queues
 * are deep while POST keeps answering. Counts connection resets and 5xx.
 */
import { call } from "./lib/http";
import { ensurePgDocs, largestPages } from "./lib/pgPages";
import { inParallel, startBenchNpmStart } from "./lib/npmStartStack";
import { ms, percentile, round, rng } from "./lib/stats";
import type { Benchmark, Figure } from "./lib/report";

const CLIENTS = 16;
const WORDS = ["index", "vacuum", "replication", "trigger", "transaction", "lock", "backup", "query", "statistics", "partition"];

export const loadTestBench: Benchmark = async ({ quick }) => {
  const notes = [ensurePgDocs()];
  const total = quick ? 2_000 : 10_000;
  const texts = largestPages(100, 5_000, 400_000).map((p) => p.html.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").slice(0, 3_000));
  const stack = await startBenchNpmStart("load");
  const random = rng(14);
  const ids: string[] = [];
  const latency: Record<string, number[]> = { write: [], read: [], search: [], monitoring: [] };
  const statuses = new Map<string, number>();
  const errors = new Map<string, number>();
  let maxQueued = 0;
  const t0 = Date.now();
  try {
    // A few documents to read from the start.
    for (let i = 0; i < 20; i++) {
      const r = await call<{ id: string }>(stack.url, "POST", "/resources", { content: `Seed ${i}. ${texts[i % texts.length]}`, contentType: "text/plain" });
      ids.push(r.body.id);
    }
    const plan = Array.from({ length: total }, () => random());
    await inParallel(plan, CLIENTS, async (x, i) => {
      let kind: keyof typeof latency;
      let method = "GET";
      let path: string;
      let body: unknown;
      if (x < 0.2) {
        kind = "write";
        method = "POST";
        path = "/resources";
        body = { content: `Load document ${i}. ${texts[i % texts.length]}`, contentType: "text/plain" };
      } else if (x < 0.6) {
        kind = "read";
        path = `/resources/${ids[Math.floor(random() * ids.length)]}`;
      } else if (x < 0.85) {
        kind = "search";
        path = `/search?q=${WORDS[i % WORDS.length]}&mode=${["keyword", "semantic", "hybrid"][i % 3]}&limit=10`;
      } else {
        kind = "monitoring";
        path = ["/health", "/monitoring/queues", "/monitoring/workers"][i % 3]!;
      }
      try {
        const r = await call<{ id?: string; items?: Array<{ visible: number | null }> }>(stack.url, method, path, body);
        latency[kind]!.push(r.ms);
        const cls = `${Math.floor(r.status / 100)}xx`;
        statuses.set(cls, (statuses.get(cls) ?? 0) + 1);
        if (kind === "write" && r.status === 202 && r.body.id) ids.push(r.body.id);
        if (path === "/monitoring/queues" && r.body.items) maxQueued = Math.max(maxQueued, r.body.items.reduce((a, q) => a + (q.visible ?? 0), 0));
      } catch (e) {
        const cause = (e as { cause?: { code?: string } }).cause;
        const code = cause?.code ?? (e instanceof Error ? e.message : String(e));
        errors.set(code, (errors.get(code) ?? 0) + 1);
      }
    });
  } finally {
    await stack.dispose();
  }
  const wallMs = Date.now() - t0;
  const p = (xs: number[], q: number) => (xs.length ? percentile(xs, q) : Number.NaN);
  const resets = errors.get("ECONNRESET") ?? 0;
  const fiveXx = statuses.get("5xx") ?? 0;
  const figures: Figure[] = [
    { ref: "13.3", what: `${total} mixed requests, ${CLIENTS} clients: ECONNRESET / other errors / 5xx`, requirement: "—", aim: "0 / 0 / 0", measured: `${resets} / ${[...errors.values()].reduce((a, b) => a + b, 0) - resets} / ${fiveXx}`, value: resets + fiveXx, unit: "count", meetsAim: resets === 0 && fiveXx === 0 && errors.size === 0 },
    { ref: "13.3", what: `· POST p50 / p99 while up to ${maxQueued} messages were queued`, requirement: "—", aim: "fast under backpressure", measured: `${ms(p(latency.write!, 50))} / ${ms(p(latency.write!, 99))}`, value: round(p(latency.write!, 99)), unit: "ms" },
    { ref: "13.3", what: "· reads / searches / monitoring p99", requirement: "—", aim: "—", measured: `${ms(p(latency.read!, 99))} / ${ms(p(latency.search!, 99))} / ${ms(p(latency.monitoring!, 99))}` },
    { ref: "13.3", what: "· requests per second", requirement: "—", aim: "—", measured: `${round(total / (wallMs / 1000), 1)} req/s`, value: round(total / (wallMs / 1000), 1), unit: "req/s" },
  ];
  notes.push(`Status classes: ${[...statuses.entries()].map(([k, v]) => `${k} ${v}`).join(", ")}; client errors: ${errors.size ? [...errors.entries()].map(([k, v]) => `${k} ${v}`).join(", ") : "none"}.`);
  return { title: "Mixed load against npm start", figures, details: { statuses: Object.fromEntries(statuses), errors: Object.fromEntries(errors), maxQueued, wallMs }, notes };
};
