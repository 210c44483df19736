/**
 * Worker processes run at a lower scheduling priority (a higher nice value,
 * WORKER_NICE, default 10) than the API process and the queue server.
 *
 * Why: during a bulk import the workers keep every core busy (extraction,
 * embedding), which is what they are for; the API needs a core only briefly
 * but at once. Measured in a 200-page import under `npm start` (2 workers,
 * 2 cores, issue 14): the API process used 4.4 s of CPU while it waited 76 s
 * on the kernel's run queue (/proc/<pid>/schedstat), and every slow /health
 * answer had a ~0 ms store check inside: the slow answers were waits for a
 * core, not work on the API's loop. At a lower priority the workers still
 * get every core nobody else wants; when the API wakes up it runs first.
 *
 * Linux keeps a nice value per thread: every thread the process has now is
 * lowered, and threads and processes started later (the encoder's thread,
 * extraction sandboxes, libuv's pool) inherit it from the thread that starts
 * them. Elsewhere the process's priority is set. Raising a priority back
 * needs privileges, so this only ever lowers it.
 */
import { readdirSync } from "node:fs";
import os from "node:os";

/** Lowers this process's priority to `nice` (no-op at 0); returns the threads changed, or null if the system refused. */
export function lowerOwnPriority(nice: number): number | null {
  if (nice <= 0) return 0;
  let threads: number[];
  try {
    threads = readdirSync("/proc/self/task").map(Number);
  } catch {
    threads = [process.pid];
  }
  let changed = 0;
  for (const tid of threads) {
    try {
      if (os.getPriority(tid) < nice) os.setPriority(tid, nice);
      changed++;
    } catch {
      // A thread that ended meanwhile, or a system that does not allow it: the worker runs at the default priority.
    }
  }
  return changed > 0 ? changed : null;
}
