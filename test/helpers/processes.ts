/**
 * Child processes for fault tests: the SQS emulator, workers and API servers
 * run as real OS processes so a test can SIGKILL one mid-task or stop the
 * queue under load.
 *
 * Each child runs `node --import tsx <script>` (no npx/tsx wrapper process in
 * between, so the pid we hold is the process doing the work) in its own
 * process group; `kill` signals the whole group. Every process spawned here is
 * remembered and `killAllProcesses()` (call it in afterAll) ends the ones
 * still running.
 */
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Output kept per process for failure messages. */
const MAX_OUTPUT_CHARS = 20_000;

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  isRunning(): boolean;
  stdout(): string;
  stderr(): string;
  /** Waits for a stdout line matching `pattern`; rejects if the process exits first or time runs out. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Signals the whole process group and waits for the exit (SIGKILL after `graceMs` if still alive). */
  kill(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

const live = new Set<ManagedProcess>();

export interface SpawnOptions {
  env?: Record<string, string | undefined>;
  /** Extra node arguments before the script. */
  nodeArgs?: string[];
}

/** Runs a TypeScript entry point of this repository (path relative to the repo root) as a child process. */
export function spawnTs(name: string, script: string, options: SpawnOptions = {}): ManagedProcess {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, LOG_LEVEL: "silent", ...options.env })) if (v !== undefined) env[k] = v;
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), "--import", "tsx", path.join(repoRoot, script)], {
    cwd: repoRoot,
    env,
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

  const proc: ManagedProcess = {
    name,
    pid,
    child,
    exited,
    isRunning: () => running,
    stdout: () => out,
    stderr: () => err,
    waitForLine(pattern, timeoutMs = 45_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(pattern);
          if (m) {
            done();
            resolve(m);
          } else if (!running) {
            done();
            reject(new Error(`${name} exited before printing ${pattern}\nstdout: ${out.slice(-2000)}\nstderr: ${err.slice(-4000)}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${name} did not print ${pattern} within ${timeoutMs} ms\nstdout: ${out.slice(-2000)}\nstderr: ${err.slice(-4000)}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          listeners.delete(check);
        };
        listeners.add(check);
        check();
      });
    },
    async kill(signal = "SIGTERM", graceMs = 10_000) {
      if (!running) return;
      signalGroup(pid, signal);
      if (signal === "SIGKILL") {
        await exited;
        return;
      }
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

/** Ends every process this helper started that is still running. */
export async function killAllProcesses(): Promise<void> {
  await Promise.all([...live].map((p) => p.kill("SIGKILL")));
}

/** A TCP port nobody listens on right now (the OS picks it). */
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

/** Starts `local/src/sqsServer.ts` (fauxqs) on `port`, persisting to `dataDir`; resolves once it listens. */
export async function startSqsProcess(port: number, dataDir: string, name = "sqs"): Promise<{ proc: ManagedProcess; endpoint: string }> {
  const proc = spawnTs(name, "local/src/sqsServer.ts", { env: { FAUXQS_PORT: String(port), FAUXQS_DATA_DIR: dataDir } });
  const m = await proc.waitForLine(/SQS_ENDPOINT=(\S+)/, 60_000);
  return { proc, endpoint: m[1]! };
}
