/**
 * A redis-server of the test's own, on a free port, that the test can kill and
 * restart (outage tests). With `persistent: true` it writes an append-only file
 * fsynced on every write into a temporary directory, so data survives a kill -9
 * and a restart, which is the hard case for a cache (old values come back).
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestRedisServer {
  readonly port: number;
  readonly url: string;
  /** Kills the server (SIGKILL by default: a crash, not a clean shutdown). */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port (and data directory when persistent). */
  restart(): Promise<void>;
  /** Kills it and removes its data directory. */
  dispose(): Promise<void>;
}

export async function startRedisServer(options: { persistent?: boolean } = {}): Promise<TestRedisServer> {
  const port = await freePort();
  const dir = options.persistent ? await mkdtemp(join(tmpdir(), "na-redis-")) : null;
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--protected-mode", "no"];
  if (dir) args.push("--appendonly", "yes", "--appendfsync", "always", "--dir", dir);
  else args.push("--appendonly", "no");

  let child: ChildProcess | null = await launch(args);
  const stop = async (signal: NodeJS.Signals) => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once("exit", () => resolve()));
    running.kill(signal);
    await exited;
  };

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill: (signal = "SIGKILL") => stop(signal),
    async restart() {
      await stop("SIGKILL");
      child = await launch(args);
    },
    async dispose() {
      await stop("SIGKILL");
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Spawns redis-server and resolves once it logs that it accepts connections. */
export function launch(args: string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const timer = setTimeout(() => fail(new Error(`redis-server did not become ready:\n${output}`)), 10_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(error);
    };
    child.once("error", fail);
    child.once("exit", (code) => fail(new Error(`redis-server exited with ${code}:\n${output}`)));
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer);
        child.removeAllListeners("exit");
        child.removeAllListeners("error");
        child.stdout?.removeAllListeners("data");
        child.stdout?.resume();
        resolve(child);
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
  });
}

/** A port nothing listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("no port assigned"));
      });
    });
  });
}

/** Polls `condition` every 20 ms until true or the timeout passes. */
export async function waitUntil(condition: () => boolean, timeoutMs = 10_000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
