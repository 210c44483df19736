/**
 * `npx tsx bench/search-eval/scanCost.ts [--pages 1169]`: the in-memory vector scan's cost per query,
 * best passage only (before) against the mean of the best three (after, domain/ranking.ts), interleaved
 * in one process over the quick set's query vectors, on the vectors of a store
 * `npm run bench:search-latency` imported (and tuneRanking.ts's cached query vectors).
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { createClient } from "@libsql/client";
import { keepBest, meanOf } from "@shared/domain/ranking";
import { percentile, round } from "../lib/stats";

const { values } = parseArgs({ options: { pages: { type: "string", default: "1169" }, rounds: { type: "string", default: "5" } } });
const dataDir = path.join(os.tmpdir(), `alexandria-search-latency-${values.pages}-encoder`);
const features = JSON.parse(readFileSync(path.join(dataDir, "tune-features.json"), "utf8")) as Record<string, { vector: number[] }>;
const queries = Object.values(features).slice(0, 80).map((f) => Float32Array.from(f.vector));
const dbFile = path.join(dataDir, "alexandria.db");
const client = createClient({ url: `file:${dbFile}` });
const rows = (await client.execute("SELECT resource_id, ordinal, vector FROM passage_vectors")).rows.map((r) => {
  const bytes = r.vector as ArrayBuffer;
  const vector = new Float32Array(bytes.slice(0));
  let n = 0;
  for (const x of vector) n += x * x;
  return { resourceId: String(r.resource_id), ordinal: Number(r.ordinal), vector, norm: Math.sqrt(n) };
});

function scan(q: Float32Array, mean: boolean): number {
  let qn = 0;
  for (const x of q) qn += x * x;
  qn = Math.sqrt(qn);
  const best = new Map<string, { score: number; scores: number[] }>();
  for (const row of rows) {
    const v = row.vector;
    let dot = 0;
    for (let i = 0; i < v.length; i++) dot += q[i]! * v[i]!;
    const score = dot / (qn * row.norm);
    const known = best.get(row.resourceId);
    if (!known) best.set(row.resourceId, { score, scores: [score] });
    else {
      if (mean) keepBest(known.scores, score);
      if (score > known.score) known.score = score;
    }
  }
  const list = [...best.entries()].map(([id, b]) => ({ id, score: mean ? meanOf(b.scores) : b.score }));
  list.sort((a, b) => b.score - a.score);
  return list.length;
}

const times = { before: [] as number[], after: [] as number[] };
for (let r = 0; r < Number(values.rounds) + 1; r++) {
  for (const q of queries) {
    for (const mode of r % 2 === 0 ? (["before", "after"] as const) : (["after", "before"] as const)) {
      const t0 = performance.now();
      scan(q, mode === "after");
      if (r > 0) times[mode].push(performance.now() - t0);
    }
  }
}
const ratios = times.after.map((t, i) => t / times.before[i]!);
process.stdout.write(`${rows.length} vectors, ${queries.length} queries × ${values.rounds} rounds, load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}\n`);
for (const [k, v] of Object.entries(times)) process.stdout.write(`${k}: p50 ${round(percentile(v, 50)).toFixed(2)} ms, p99 ${round(percentile(v, 99)).toFixed(2)} ms\n`);
process.stdout.write(`after / before, pair by pair: median ${round(percentile(ratios, 50)).toFixed(3)}\n`);
