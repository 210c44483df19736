/**
 * Memory of a running stack's processes, read from Linux /proc: the current
 * RSS of each and its high-water mark (VmHWM), sampled while a benchmark runs.
 */
import { readFileSync } from "node:fs";

export interface MemorySample {
  at: number;
  rssByPid: Map<number, number>;
}

function statusField(pid: number, field: "VmRSS" | "VmHWM"): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Samples the RSS of `pids()` every `intervalMs`; `stop()` returns the samples and each pid's peak. */
export function sampleMemory(pids: () => readonly number[], intervalMs = 500) {
  const samples: MemorySample[] = [];
  const peak = new Map<number, number>();
  const take = () => {
    const rssByPid = new Map<number, number>();
    for (const pid of pids()) {
      const rss = statusField(pid, "VmRSS");
      const hwm = statusField(pid, "VmHWM");
      if (rss !== null) rssByPid.set(pid, rss);
      const top = Math.max(hwm ?? 0, rss ?? 0);
      if (top > (peak.get(pid) ?? 0)) peak.set(pid, top);
    }
    samples.push({ at: Date.now(), rssByPid });
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    samples,
    stop() {
      take();
      clearInterval(timer);
      return { samples, peak };
    },
  };
}

export const mib = (bytes: number | undefined | null) => (bytes === undefined || bytes === null ? "–" : `${Math.round(bytes / 2 ** 20)}`);
