/**
 * `/monitoring/degraded`: how often the system did less instead of failing
 * (observability/degradation.ts). Locally: this process and every worker
 * that reports through Redis, since each started. On AWS: every function,
 * from the `Degraded` metric in CloudWatch over the last hour (a container's
 * own count would say little).
 */
import { errorMessage } from "../errors";
import { degradedTotals, sumDegraded, type DegradedMode } from "../observability/degradation";
import type { AppContext } from "./context";

export interface DegradedAnswer {
  source: "processes" | "cloudwatch";
  /** Occurrences per mode (all modes listed, zeros included). */
  total: Record<DegradedMode, number>;
  /** AWS: the window the counts cover. */
  windowMinutes?: number;
  /** Locally: each process's own counts since it started. */
  processes?: Array<{ processId: string; degraded: Record<DegradedMode, number> }>;
  error?: string;
}

export async function degradedStatus(app: AppContext): Promise<DegradedAnswer> {
  const runtime = app.runtime;
  if (runtime?.degradedModes) {
    try {
      const { windowMinutes, counts } = await runtime.degradedModes();
      return { source: "cloudwatch", total: counts, windowMinutes };
    } catch (e) {
      return { source: "cloudwatch", total: sumDegraded([]), error: errorMessage(e) };
    }
  }
  const own = { processId: runtime?.processId ?? "this process", degraded: degradedTotals() };
  const processes = [own];
  let error: string | undefined;
  if (runtime?.reportedWorkers) {
    try {
      for (const w of await runtime.reportedWorkers()) {
        if (w.processId !== runtime.processId && w.degraded) processes.push({ processId: w.processId, degraded: sumDegraded([w.degraded]) });
      }
    } catch (e) {
      error = errorMessage(e);
    }
  }
  return { source: "processes", total: sumDegraded(processes.map((p) => p.degraded)), processes, ...(error ? { error } : {}) };
}
