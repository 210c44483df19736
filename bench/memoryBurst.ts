/**
 * Issue 14 (requirement 13): memory stays bounded under a burst. `npm start`
 * (one worker per core, no routing delays) receives 5,000 documents at once
 * (batches of 100, real text from the PostgreSQL manual) and works through
 * them. The RSS of every process is sampled from /proc; the figure compares
 * each process's RSS at 25 / 50 / 75 / 100 % of the burst processed with its
 * peak, which would keep growing with the backlog if anything held on to
 * finished work.
 */
import { instantTimings } from "@shared/events/routing";
import { expectStatus } from "./lib/http";
import { ensurePgDocs, largestPages } from "./lib/pgPages";
import { startBenchNpmStart, untilAllCurrent } from "./lib/npmStartStack";
import { mib, sampleMemory, type MemorySample } from "./lib/processMemory";
import { round } from "./lib/stats";
import type { Benchmark, Figure } from "./lib/report";

/** Short documents cut from real pages (tags stripped), each unique. */
function documents(count: number): string[] {
  const texts = largestPages(300, 5_000, 400_000).map((p) => p.html.replace(/<[^>]+>/g, " ").replace(/\s+/g, " "));
  return Array.from({ length: count }, (_, i) => {
    const t = texts[i % texts.length]!;
    const at = (i * 977) % Math.max(1, t.length - 2_000);
    return `Burst document ${i}. ${t.slice(at, at + 1_500)}`;
  });
}

export const memoryBurstBench: Benchmark = async ({ quick }) => {
  const notes = [ensurePgDocs()];
  const count = quick ? 1_000 : 5_000;
  const docs = documents(count);
  const stack = await startBenchNpmStart("burst", { env: { ROUTE_OVERRIDES: JSON.stringify(instantTimings()) } });
  const memory = sampleMemory(() => stack.pids());
  const progress: Array<{ done: number; at: number }> = [];
  const ids: string[] = [];
  const t0 = Date.now();
  let workerPids: number[] = [];
  let result: { samples: MemorySample[]; peak: Map<number, number> };
  try {
    for (let i = 0; i < docs.length; i += 100) {
      const items = docs.slice(i, i + 100).map((content) => ({ content, contentType: "text/plain" }));
      const r = await expectStatus<{ items: Array<{ id: string }> }>(202, stack.url, "POST", "/resources/batch", { items });
      ids.push(...r.body.items.map((x) => x.id));
    }
    const postedMs = Date.now() - t0;
    notes.push(`${count} documents (~1.5 KB of manual text each) posted in ${(postedMs / 1000).toFixed(1)} s as batches of 100.`);
    await untilAllCurrent(stack.store, ids, 3_600_000, (done) => progress.push({ done, at: Date.now() }));
    workerPids = (await stack.workers()).map((w) => w.pid).filter((p): p is number => p !== null);
  } finally {
    result = memory.stop();
    await stack.dispose();
  }
  const wallMs = Date.now() - t0;
  // RSS of a process when a quarter, half, three quarters and all of the burst was current.
  const atShare = (pid: number, share: number) => {
    const when = progress.find((p) => p.done >= share * count)?.at ?? Date.now();
    const sample = [...result.samples].reverse().find((s) => s.at <= when) ?? result.samples[0];
    return sample?.rssByPid.get(pid);
  };
  const row = (name: string, pid: number) => `${name} ${[0.25, 0.5, 0.75, 1].map((s) => mib(atShare(pid, s))).join("→")} (peak ${mib(result.peak.get(pid))})`;
  const apiPid = stack.proc.pid;
  const figures: Figure[] = [
    { ref: "13.2", what: `${count}-document burst: RSS at 25/50/75/100 % current, API (MiB)`, requirement: "—", aim: "bounded", measured: row("api", apiPid), value: result.peak.get(apiPid) ?? null, unit: "bytes" },
    ...workerPids.map((pid, i) => ({ ref: "13.2", what: `· worker ${i} RSS at 25/50/75/100 % (MiB)`, requirement: "—", aim: "bounded", measured: row(`w${i}`, pid), value: result.peak.get(pid) ?? null, unit: "bytes" })),
    { ref: "13.2", what: "· burst throughput end to end", requirement: "—", aim: "—", measured: `${round(count / (wallMs / 1000), 1)} docs/s`, value: round(count / (wallMs / 1000), 2), unit: "docs/s" },
  ];
  return { title: `Memory under a ${count}-document burst (npm start)`, figures, details: { wallMs, peaks: Object.fromEntries(result.peak), progress: progress.filter((_, i) => i % 10 === 0) }, notes };
};
