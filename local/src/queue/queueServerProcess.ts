/**
 * Starts the queue server (local/src/sqsServer.ts) as a child process of
 * `npm start`: its own event loop, so queue traffic from every worker never
 * queues behind HTTP requests, and the API's loop never waits on fauxqs's
 * synchronous SQLite writes. It listens on loopback and persists under
 * `<DATA_DIR>/queues`; it stops when asked, or by itself when its parent dies.
 */
import { fork, type ChildProcess } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "sqsServer.ts");

export interface QueueServerProcess {
  endpoint: string;
  pid: number;
  /** Messages a previous run left in flight, made visible again at start. */
  released: number;
  stop(): Promise<void>;
}

export async function startQueueServerProcess(options: { dataDir: string; port?: number; listenHost?: string }): Promise<QueueServerProcess> {
  const child: ChildProcess = fork(SCRIPT, [], {
    env: {
      ...process.env,
      FAUXQS_PORT: String(options.port ?? 0),
      FAUXQS_LISTEN_HOST: options.listenHost ?? "127.0.0.1",
      FAUXQS_DATA_DIR: options.dataDir,
      FAUXQS_RELEASE_IN_FLIGHT: "true",
    },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ready = await new Promise<{ endpoint: string; released: number }>((resolve, reject) => {
    const onMessage = (m: { type?: string; endpoint?: string; released?: number }) => {
      if (m?.type !== "ready" || !m.endpoint) return;
      child.off("message", onMessage);
      resolve({ endpoint: m.endpoint, released: m.released ?? 0 });
    };
    child.on("message", onMessage);
    child.once("exit", (code, signal) => reject(new Error(`the queue server exited before it was ready (${code ?? signal})`)));
  });
  return {
    endpoint: ready.endpoint,
    pid: child.pid ?? 0,
    released: ready.released,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.send({ type: "stop" });
      const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(kill);
    },
  };
}
