/**
 * Issue 14's peer for the machinery: Celery 5 + Redis from Debian's packages,
 * no-op tasks with acks_late and 2 prefork processes, publish → result, on
 * this machine in this run (bench/peer/celeryNoop.py). Our side of the
 * comparison (a no-op route from outbox commit to ledger row with 2 workers)
 * is not built yet; this reports the peer alone.
 */
import { execFileSync } from "node:child_process";
import path from "node:path";
import { repoRoot } from "../test/helpers/processes";
import type { Benchmark, Figure } from "./lib/report";

export const celeryPeerBench: Benchmark = async ({ quick }) => {
  const tasks = quick ? 1000 : 4000;
  const out = execFileSync("/usr/bin/python3", [path.join(repoRoot, "bench/peer/celeryNoop.py"), String(tasks), "14"], { encoding: "utf8", timeout: 600_000 });
  const r = JSON.parse(out.trim().split("\n").pop()!) as { tasks: number; seconds: number; tasksPerSecond: number; publishSeconds: number };
  const figures: Figure[] = [
    { ref: "issue 14", what: `Celery 5 + Redis no-op tasks/s (acks_late, 2 prefork, ${r.tasks} tasks)`, requirement: "—", aim: "ours ≥ this", measured: `${r.tasksPerSecond}`, value: r.tasksPerSecond, unit: "tasks/s" },
  ];
  return { title: "Celery peer (no-op tasks)", figures, details: r, notes: ["Debian's python3-celery with Redis db 14 on 127.0.0.1:6379; a queue of its own per run; publish → result stored (acks_late: acknowledged as it finishes)."] };
};
