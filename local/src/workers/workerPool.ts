/**
 * The worker processes of `npm start`: one per core by default (WORKERS),
 * each running every route's pollers against the one queue server and the
 * one store, so task work never runs on the API process's event loop.
 *
 * - A worker that dies (crash, out of memory, SIGKILL) is replaced after a
 *   backoff that doubles with each quick death (0.5 s … 30 s) and resets once
 *   a worker has lived a minute. What it held comes back to the queue by
 *   visibility timeout; tasks are idempotent, so a half-done task is redone,
 *   never doubled.
 * - `stop()` drains: each worker stops receiving, finishes what it holds
 *   within the grace period, releases the rest (visibility 0) and exits.
 * - Each worker reports its figures every second (workerReport.ts); `view()`
 *   is what `/monitoring/workers` and the dashboard show.
 */
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { AppContext } from "@shared/app/context";
import type { JobName } from "@shared/events/schedules";
import type { PooledWorker, WorkerFigures } from "@shared/observability/runtime";
import { logger } from "@shared/observability/logger";
import { IpcPeer } from "./ipc";
import { Calls, Notes, serveWorker } from "./forwarding";

const WORKER_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "worker.ts");

export interface RestartPolicy {
  initialMs: number;
  maxMs: number;
  /** A worker that lived this long starts the backoff from the beginning again. */
  resetAfterMs: number;
}

export interface WorkerPoolOptions {
  size: number;
  /** The workers' environment (SQS_ENDPOINT and DATA_DIR included). */
  env: NodeJS.ProcessEnv;
  /** The API process's context: workers' cache invalidations and events land here. */
  app: AppContext;
  restart?: Partial<RestartPolicy>;
  /** How long a draining worker may finish what it holds before releasing it. Default 30 s. */
  drainGraceMs?: number;
}

interface Slot {
  index: number;
  child: ChildProcess | undefined;
  peer: IpcPeer | undefined;
  state: PooledWorker["state"];
  restarts: number;
  quickDeaths: number;
  startedAt: number | null;
  lastExit: PooledWorker["lastExit"];
  figures: WorkerFigures | null;
  restartTimer: NodeJS.Timeout | undefined;
  exited: Promise<void>;
}

export class WorkerPool {
  readonly #opts: WorkerPoolOptions;
  readonly #policy: RestartPolicy;
  readonly #slots: Slot[];
  #stopping = false;
  readonly #readyWaiters = new Set<() => void>();

  constructor(options: WorkerPoolOptions) {
    this.#opts = options;
    this.#policy = { initialMs: 500, maxMs: 30_000, resetAfterMs: 60_000, ...options.restart };
    this.#slots = Array.from({ length: options.size }, (_, index) => ({
      index,
      child: undefined,
      peer: undefined,
      state: "starting" as const,
      restarts: 0,
      quickDeaths: 0,
      startedAt: null,
      lastExit: null,
      figures: null,
      restartTimer: undefined,
      exited: Promise.resolve(),
    }));
  }

  /** Starts every worker; resolves once all are ready (rejects after `timeoutMs`). */
  async start(timeoutMs = 120_000): Promise<void> {
    for (const slot of this.#slots) this.#spawn(slot);
    await this.whenReady(timeoutMs);
  }

  /** Resolves when every slot has a ready worker. */
  whenReady(timeoutMs = 120_000): Promise<void> {
    if (this.#allReady()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#readyWaiters.delete(check);
        reject(new Error(`workers not ready within ${timeoutMs} ms: ${this.#slots.map((s) => s.state).join(", ")}`));
      }, timeoutMs);
      const check = () => {
        if (!this.#allReady()) return;
        clearTimeout(timer);
        this.#readyWaiters.delete(check);
        resolve();
      };
      this.#readyWaiters.add(check);
    });
  }

  view(): PooledWorker[] {
    return this.#slots.map((s) => ({
      slot: s.index,
      pid: s.child?.pid ?? null,
      state: s.state,
      restarts: s.restarts,
      startedAt: s.startedAt === null ? null : new Date(s.startedAt).toISOString(),
      lastExit: s.lastExit,
      figures: s.figures,
    }));
  }

  /** Runs a scheduled job on the least busy ready worker (waiting for one while all are starting). */
  async runJob(job: JobName, waitMs = 120_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + waitMs;
    let ready = this.#slots.filter((s) => s.state === "ready" && s.peer);
    while (ready.length === 0 && !this.#stopping && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      ready = this.#slots.filter((s) => s.state === "ready" && s.peer);
    }
    if (ready.length === 0) throw new Error(`no worker is ready to run job ${job}`);
    ready.sort((a, b) => (a.figures?.activeMessages ?? 0) - (b.figures?.activeMessages ?? 0));
    return ready[0]!.peer!.call(Calls.runJob, { job });
  }

  /** Drains every worker (see the module comment), then resolves. */
  async stop(): Promise<void> {
    this.#stopping = true;
    const grace = this.#opts.drainGraceMs ?? 30_000;
    await Promise.all(
      this.#slots.map(async (slot) => {
        clearTimeout(slot.restartTimer);
        const child = slot.child;
        if (!child || slot.state === "stopped" || slot.state === "restarting") {
          slot.state = "stopped";
          return;
        }
        slot.state = "draining";
        void slot.peer?.note(Notes.drain, { graceMs: grace });
        // A worker that cannot drain (stuck in native code) is killed; what it held returns by visibility timeout.
        const kill = setTimeout(() => child.kill("SIGKILL"), grace + 10_000);
        await slot.exited;
        clearTimeout(kill);
      }),
    );
  }

  #allReady(): boolean {
    return this.#slots.every((s) => s.state === "ready");
  }

  #spawn(slot: Slot): void {
    const child = fork(WORKER_SCRIPT, [], {
      env: { ...this.#opts.env, WORKER_SLOT: String(slot.index) },
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const peer = new IpcPeer(child);
    serveWorker(peer, this.#opts.app);
    peer
      .onNote<{ pid: number }>(Notes.ready, () => {
        slot.state = this.#stopping ? "draining" : "ready";
        for (const w of [...this.#readyWaiters]) w();
      })
      .onNote<WorkerFigures>(Notes.report, (figures) => {
        slot.figures = figures;
      });
    slot.child = child;
    slot.peer = peer;
    slot.state = "starting";
    slot.startedAt = Date.now();
    slot.figures = null;
    slot.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.#exited(slot, child, code, signal);
        resolve();
      });
    });
    child.on("error", (e) => logger.error("worker process error", { slot: slot.index, error: e.message }));
  }

  #exited(slot: Slot, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    slot.peer?.close(`worker ${child.pid} exited`);
    slot.peer = undefined;
    slot.lastExit = { pid: child.pid ?? 0, code, signal, at: new Date().toISOString() };
    if (this.#stopping) {
      slot.state = "stopped";
      return;
    }
    const lived = Date.now() - (slot.startedAt ?? Date.now());
    slot.quickDeaths = lived >= this.#policy.resetAfterMs ? 1 : slot.quickDeaths + 1;
    const delay = Math.min(this.#policy.maxMs, this.#policy.initialMs * 2 ** (slot.quickDeaths - 1));
    slot.state = "restarting";
    slot.restarts++;
    logger.error("worker process died; restarting it", { slot: slot.index, pid: child.pid, code, signal, restartInMs: delay });
    slot.restartTimer = setTimeout(() => {
      if (!this.#stopping) this.#spawn(slot);
    }, delay);
  }
}
