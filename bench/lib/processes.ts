/**
 * Child processes for the scale benchmark: the SQS emulator, the API and the
 * workers run as real OS processes (`node --import tsx <script>`, no wrapper
 * in between), each in its own process group. Every process started here is
 * remembered; `stopAll()` ends the ones still running.
 */
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

const MAX_OUTPUT_CHARS = 20_000;

export interface BenchProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  readonly exited: Promise<number | string>;
  isRunning(): boolean;
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** SIGTERM (then SIGKILL after `graceMs`) to the process group; resolves on exit. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<BenchProcess>();

export function spawnTs(name: string, script: string, env: Record<string, string | undefined>): BenchProcess {
  const merged: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, LOG_LEVEL: "silent", ...env })) if (v !== undefined) merged[k] = v;
  const child = spawn(process.execPath, ["--import", "tsx", path.join(repoRoot, script)], {
    cwd: repoRoot,
    env: merged,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (child.pid === undefined) throw new Error(`${name}: spawn failed`);
  const pid = child.pid;
  let out = "";
  let err = "";
  const listeners = new Set<() => void>();
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    out = (out + chunk).slice(-MAX_OUTPUT_CHARS);
    for (const l of listeners) l();
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    err = (err + chunk).slice(-MAX_OUTPUT_CHARS);
  });
  let running = true;
  const exited = new Promise<number | string>((resolve) => {
    child.once("exit", (code, signal) => {
      running = false;
      resolve(code ?? signal ?? "unknown");
      for (const l of listeners) l();
    });
  });
  const proc: BenchProcess = {
    name,
    pid,
    child,
    exited,
    isRunning: () => running,
    waitForLine(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        const check = () => {
          const m = out.match(pattern);
          if (m) {
            done();
            resolve(m);
          } else if (!running) {
            done();
            reject(new Error(`${name} exited before printing ${pattern}\n${err.slice(-3000)}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${name} did not print ${pattern} within ${timeoutMs} ms\n${err.slice(-3000)}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    async stop(graceMs = 15_000) {
      if (!running) return;
      signalGroup(pid, "SIGTERM");
      const timer = setTimeout(() => signalGroup(pid, "SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  live.add(proc);
  void exited.then(() => live.delete(proc));
  return proc;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Ends every process started here that is still running. */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop(5_000)));
}

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const addr = server.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      server.close(() => resolve(port));
    });
  });
}
