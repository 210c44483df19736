/**
 * CPU time of running processes, read from Linux /proc/<pid>/stat (user +
 * system), to say which process of a benchmark's stack spent the time of a
 * measured interval. Seconds; null where the process is gone or /proc absent.
 *
 * Also (readProcessCpu): a process's reaped children's CPU (the extraction
 * sandboxes a worker forks) and the run-queue wait of every thread
 * (/proc/<pid>/task/<tid>/schedstat, second field). A process that answers
 * slowly while using little CPU and waiting long on the run queue is short
 * of a core, not busy (issue 14).
 */
import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second of /proc's utime and stime (USER_HZ: 100 on Linux). */
const TICKS_PER_SECOND = 100;

export function cpuSeconds(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start at the state, field 3.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** CPU seconds each of `pids` spent between `start()` and the returned `stop()`. */
export function measureCpu(pids: Record<string, number>): { stop(): Record<string, number | null> } {
  const before = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuSeconds(pid)]));
  return {
    stop() {
      return Object.fromEntries(
        Object.entries(pids).map(([k, pid]) => {
          const a = before[k];
          const b = cpuSeconds(pid);
          return [k, a === null || a === undefined || b === null ? null : Math.round((b - a) * 100) / 100];
        }),
      );
    },
  };
}

export interface ProcessCpu {
  cpuMs: number;
  /** Reaped children's CPU. */
  childCpuMs: number;
  /** Time its threads were runnable but waiting for a core. */
  runQueueMs: number;
}

export function readProcessCpu(pid: number): ProcessCpu | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name: state is field 3, utime 14 … cstime 17.
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    let runQueueMs = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        runQueueMs += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[1]) / 1e6;
      } catch {
        // The thread ended meanwhile.
      }
    }
    return {
      cpuMs: ((Number(f[11]) + Number(f[12])) * 1000) / TICKS_PER_SECOND,
      childCpuMs: ((Number(f[13]) + Number(f[14])) * 1000) / TICKS_PER_SECOND,
      runQueueMs,
    };
  } catch {
    return undefined;
  }
}

/** What each process used between two readings (`before` from {@link readAll}). */
export function cpuSince(before: ReadonlyMap<number, ProcessCpu>): Map<number, ProcessCpu> {
  const out = new Map<number, ProcessCpu>();
  for (const [pid, first] of before) {
    const last = readProcessCpu(pid);
    if (!last) continue;
    out.set(pid, { cpuMs: last.cpuMs - first.cpuMs, childCpuMs: last.childCpuMs - first.childCpuMs, runQueueMs: last.runQueueMs - first.runQueueMs });
  }
  return out;
}

export function readAll(pids: readonly number[]): Map<number, ProcessCpu> {
  const out = new Map<number, ProcessCpu>();
  for (const pid of pids) {
    const r = readProcessCpu(pid);
    if (r) out.set(pid, r);
  }
  return out;
}
