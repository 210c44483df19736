/**
 * `npm start` as a test sees it: local/src/main.ts as a real process (the API
 * process, its queue server and its worker processes), in a data directory of
 * the test's choosing, reached over HTTP only.
 */
import { readFileSync } from "node:fs";
import { spawnTs, type ManagedProcess } from "./processes";
import { api } from "./stack";
import type { PooledWorker, WorkerFigures } from "@shared/observability/runtime";

export interface NpmStart {
  proc: ManagedProcess;
  url: string;
  dataDir: string;
  workers(): Promise<PooledWorker[]>;
  apiFigures(): Promise<WorkerFigures | null>;
  /** Every process of the stack: the API process and its descendants (queue server, workers). */
  pids(): number[];
}

export interface NpmStartOptions {
  dataDir: string;
  workers?: number;
  env?: Record<string, string | undefined>;
  /** Wait until every worker is ready (default true). */
  waitForWorkers?: boolean;
}

export async function startNpmStart(options: NpmStartOptions): Promise<NpmStart> {
  const proc = spawnTs("npm-start", "local/src/main.ts", {
    env: { DATA_DIR: options.dataDir, PORT: "0", WORKERS: String(options.workers ?? 2), REDIS_URL: undefined, ...options.env },
  });
  const url = (await proc.waitForLine(/listening on (http:\/\/\S+)/, 120_000))[1]!;
  if (options.waitForWorkers !== false) await proc.waitForLine(/WORKERS_READY/, 180_000);
  return {
    proc,
    url,
    dataDir: options.dataDir,
    async workers() {
      return (await api<{ workers: PooledWorker[] }>({ url }, "GET", "/monitoring/workers")).body.workers;
    },
    async apiFigures() {
      return (await api<{ api: WorkerFigures | null }>({ url }, "GET", "/monitoring/workers")).body.api;
    },
    pids: () => descendants(proc.pid),
  };
}

/** `pid` and every process below it (Linux /proc). */
export function descendants(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    let children = "";
    try {
      children = readFileSync(`/proc/${out[i]}/task/${out[i]}/children`, "utf8");
    } catch {
      continue;
    }
    for (const c of children.split(/\s+/).filter(Boolean)) out.push(Number(c));
  }
  return out;
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
