/**
 * CPU time of running processes, read from Linux /proc/<pid>/stat (user +
 * system), to say which process of a benchmark's stack spent the time of a
 * measured interval. Seconds; null where the process is gone or /proc absent.
 */
import { readFileSync } from "node:fs";

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
