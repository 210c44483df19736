/**
 * Runs a Lambda bundle the way Lambda's Node runtime does, in a child process
 * of its own (one simulated container): the function's environment and
 * nothing else, its asset directory as the working directory, the handler
 * module imported once, then one invocation per `invoke` with a Lambda-like
 * context. The child is `lambdaChild.mjs` on the Node the template names
 * (npm scripts put the `node` devDependency first on the PATH).
 *
 * @example
 * const api = await startLambda({ name: "api", bundleDir, env });
 * const res = await api.invoke(httpEvent("GET", "/health"));
 */
import { fork, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const CHILD = fileURLToPath(new URL("./lambdaChild.mjs", import.meta.url));
const repoRoot = fileURLToPath(new URL("../../", import.meta.url));

export interface LambdaOptions {
  /** Shown in errors and figures, e.g. "api" or "task-search-index". */
  name: string;
  /** The asset directory cdk synth wrote (holds index.mjs). */
  bundleDir: string;
  /** `index.handler` as in the template. */
  handler?: string;
  /** Exactly the environment the function gets. */
  env: Record<string, string>;
  timeoutSeconds?: number;
  memoryMb?: number;
}

export interface Invocation<R = unknown> {
  result?: R;
  error?: { name: string; message: string; stack?: string };
  durationMs: number;
  /** Lines the function wrote to stdout during this invocation (logs, EMF). */
  lines: string[];
}

export interface LambdaProcess {
  readonly name: string;
  /** Time to import the handler module (Lambda's init phase). */
  readonly initMs: number;
  /** Lines written during init. */
  readonly initLines: string[];
  invoke<R = unknown>(event: unknown): Promise<Invocation<R>>;
  stderr(): string;
  /** Pids of the processes this container started and that still run (Linux, from /proc). */
  children(): number[];
  stop(): Promise<void>;
}

/** The Node binary npm scripts use (the `node` devDependency), falling back to this process's. */
export function lambdaNodeBinary(): string {
  const local = path.join(repoRoot, "node_modules", ".bin", "node");
  return existsSync(local) ? local : process.execPath;
}

export async function startLambda(options: LambdaOptions): Promise<LambdaProcess> {
  const [file, exportName] = (options.handler ?? "index.handler").split(".");
  const bundle = path.join(options.bundleDir, `${file}.mjs`);
  const timeoutMs = (options.timeoutSeconds ?? 30) * 1000;
  const child: ChildProcess = fork(CHILD, [bundle, exportName ?? "handler"], {
    cwd: options.bundleDir,
    env: options.env,
    execPath: lambdaNodeBinary(),
    execArgv: [],
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    stderr = (stderr + chunk).slice(-20_000);
  });
  child.stdout?.resume(); // lines come back through IPC; keep the pipe drained

  const pending = new Map<string, (message: ChildMessage) => void>();
  let exitError: Error | null = null;
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exitError = new Error(`${options.name} exited (${code ?? signal}):\n${stderr}`);
      for (const settle of pending.values()) settle({ type: "exit" });
      pending.clear();
      resolve();
    }),
  );

  const ready = await new Promise<ChildMessage>((resolve) => {
    child.once("message", (m) => resolve(m as ChildMessage));
    void exited.then(() => resolve({ type: "exit" }));
  });
  if (ready.type !== "ready") {
    child.kill("SIGKILL");
    const why = ready.type === "init-error" ? `${ready.error?.message}\n${ready.error?.stack ?? ""}` : (exitError as Error | null)?.message;
    throw new Error(`${options.name}: init failed: ${why}\n${(ready.lines ?? []).join("\n")}`);
  }
  child.on("message", (m) => {
    const message = m as ChildMessage;
    if (message.type === "result" && message.id) pending.get(message.id)?.(message);
  });

  const functionName = options.env.AWS_LAMBDA_FUNCTION_NAME ?? options.name;
  return {
    name: options.name,
    initMs: ready.initMs ?? NaN,
    initLines: ready.lines ?? [],
    invoke<R>(event: unknown): Promise<Invocation<R>> {
      if (exitError) return Promise.reject(exitError);
      const id = randomUUID();
      return new Promise((resolve, reject) => {
        pending.set(id, (message) => {
          pending.delete(id);
          if (message.type === "exit") reject(exitError ?? new Error(`${options.name} exited`));
          else resolve({ result: message.result as R, error: message.error, durationMs: message.durationMs ?? NaN, lines: message.lines ?? [] });
        });
        child.send({
          type: "invoke",
          id,
          event,
          timeoutMs,
          context: {
            awsRequestId: id,
            functionName,
            functionVersion: "$LATEST",
            invokedFunctionArn: `arn:aws:lambda:${options.env.AWS_REGION ?? "us-east-1"}:000000000000:function:${functionName}`,
            memoryLimitInMB: String(options.memoryMb ?? 128),
            logGroupName: `/aws/lambda/${functionName}`,
            logStreamName: `local/${id}`,
          },
        });
      });
    },
    stderr: () => stderr,
    children: () => childrenOf(child.pid),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

interface ChildMessage {
  type: "ready" | "init-error" | "result" | "exit";
  id?: string;
  initMs?: number;
  result?: unknown;
  error?: { name: string; message: string; stack?: string };
  durationMs?: number;
  lines?: string[];
}

function childrenOf(pid: number | undefined): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      if (Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === pid) found.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}
