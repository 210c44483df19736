/**
 * What a worker process tells the API process about itself every second:
 * tasks done and failed, messages in hand, how busy its event loop was (event
 * loop utilisation over the last interval: the share of time it spent running
 * code rather than waiting), and its memory. The dashboard's workers view and
 * the benchmarks read these.
 */
import { performance, type EventLoopUtilization } from "node:perf_hooks";
import type { PollerStats } from "@shared/adapters/local/poller";
import type { WorkerFigures } from "@shared/observability/runtime";


export const REPORT_INTERVAL_MS = 1_000;

export function summarize(pollers: readonly PollerStats[], elu: EventLoopUtilization): WorkerFigures {
  const memory = process.memoryUsage();
  return {
    pid: process.pid,
    tasksDone: pollers.reduce((n, p) => n + p.processed, 0),
    tasksFailed: pollers.reduce((n, p) => n + p.failed, 0),
    activeMessages: pollers.reduce((n, p) => n + p.activeMessages, 0),
    busyShare: Math.round(elu.utilization * 1000) / 1000,
    rssBytes: memory.rss,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    heapUsedBytes: memory.heapUsed,
    reportedAt: new Date().toISOString(),
  };
}

/** Calls `send` with a fresh report every interval until the returned function is called (it returns the final figures). */
export function startReporting(pollers: () => readonly PollerStats[], send: (report: WorkerFigures) => void, intervalMs = REPORT_INTERVAL_MS): () => WorkerFigures {
  let last = performance.eventLoopUtilization();
  const measure = () => {
    const now = performance.eventLoopUtilization();
    const figures = summarize(pollers(), performance.eventLoopUtilization(now, last));
    last = now;
    return figures;
  };
  send(measure());
  const timer = setInterval(() => send(measure()), intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    return measure();
  };
}
