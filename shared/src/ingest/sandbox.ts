/**
 * Untrusted extraction in a sandbox process: every parse of client or fetched
 * bytes (PDF, HTML, Markdown, text, and the citations read from them) runs in
 * a child process with a heap limit (--max-old-space-size) and a wall-clock
 * limit, and PDFs also under a page cap and an inflated-bytes cap
 * (extractionLimits.ts). A document that exceeds one fails alone with
 * `document_too_complex`; the child is discarded and the process that asked —
 * API, worker or Lambda — lives on.
 *
 * A child process, not a worker thread: V8 may abort the whole process when a
 * worker thread's heap is exhausted (FatalProcessOutOfMemory), which a
 * million-attribute HTML page does; a child's abort is only the child's.
 *
 * This is the one place for it, used by the ingestion task wherever it runs
 * (through isolation.ts): locally in the worker processes (local/src/workers)
 * for every extraction; on AWS in the consumer Lambdas for retries only (the
 * first attempt parses in the function's process, `EXTRACTION_ISOLATION`),
 * where the sandbox entry is bundled beside the function as
 * `extract-sandbox.mjs` (infra/lib/constructs/app-function.ts).
 *
 * Children are reused while they stay healthy (an idle one does not keep the
 * parent alive), so a document costs a message, not a process start. A process
 * has at most SANDBOX_POOL_SIZE children: a burst of extractions (a bulk
 * import runs several ingestions at once) waits for a free child instead of
 * starting more — a start costs ~0.3–1 s of CPU with the TypeScript loader,
 * and parsing is CPU-bound, so children beyond the cores add nothing.
 */
import { fork, type ChildProcess } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { DocumentTooComplexError, UnparseableContentError, UnsupportedContentError } from "./errors";
import type { ExtractedDocument, ExtractInput } from "./extract";
import { DEFAULT_EXTRACTION_LIMITS, type ExtractionLimits } from "./extractionLimits";
import type { SandboxReply, SandboxRequest } from "./sandboxWorker";
import { runBelowOwnPriority } from "../util/backgroundPriority";

/** The bundle's file name of the sandbox entry (infra bundles sandboxWorker.ts under it). */
export const SANDBOX_BUNDLE_FILE = "extract-sandbox.mjs";
/** Children one process keeps at most (busy + idle); requests beyond wait for one. */
export const SANDBOX_POOL_SIZE = 2;
const STDERR_TAIL_BYTES = 4096;

interface SandboxChild {
  child: ChildProcess;
  heapMb: number;
  ready: Promise<void>;
  stderrTail: string;
  /** Killed or exited: its place in the pool is free again. */
  retired: boolean;
}

const idle: SandboxChild[] = [];
/** Children alive or starting, busy or idle (at most SANDBOX_POOL_SIZE). */
let live = 0;
let started = 0;
const waiting: Array<() => void> = [];

/** How many sandbox children this process has started (tests, monitoring). */
export function sandboxChildrenStarted(): number {
  return started;
}

export async function extractInSandbox(input: ExtractInput, limits: ExtractionLimits = DEFAULT_EXTRACTION_LIMITS): Promise<ExtractedDocument> {
  const sandbox = await acquire(limits.heapMb);
  setReferenced(sandbox.child, true);
  let healthy = false;
  try {
    await sandbox.ready;
    const reply = await run(sandbox, { input, limits }, limits);
    healthy = true;
    if ("ok" in reply && reply.ok) return reply.document;
    throw rebuild("error" in reply ? reply.error : { name: "Error", message: "unexpected reply from the sandbox" });
  } finally {
    release(sandbox, healthy);
  }
}

/** An idle child of this heap size, a new one while the pool has room, or the next one freed. */
async function acquire(heapMb: number): Promise<SandboxChild> {
  for (;;) {
    const reused = takeIdle(heapMb);
    if (reused) return reused;
    if (live < SANDBOX_POOL_SIZE) return startChild(heapMb);
    // Full: an idle child with another heap limit gives up its place.
    const other = idle.shift();
    if (other) {
      retire(other);
      continue;
    }
    await new Promise<void>((resolve) => waiting.push(resolve));
  }
}

function release(sandbox: SandboxChild, healthy: boolean): void {
  if (healthy && !sandbox.retired) {
    setReferenced(sandbox.child, false);
    idle.push(sandbox);
  } else {
    retire(sandbox);
  }
  waiting.shift()?.();
}

/** Kills a child and frees its place in the pool (once, whether it is killed or exits by itself). */
function retire(sandbox: SandboxChild): void {
  const at = idle.indexOf(sandbox);
  if (at !== -1) idle.splice(at, 1);
  if (sandbox.retired) return;
  sandbox.retired = true;
  live--;
  sandbox.child.kill("SIGKILL");
}

function run(sandbox: SandboxChild, request: SandboxRequest, limits: ExtractionLimits): Promise<SandboxReply> {
  const { child } = sandbox;
  return new Promise((resolve, reject) => {
    const finish = (settle: () => void): void => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
      settle();
    };
    const onMessage = (reply: SandboxReply): void => finish(() => resolve(reply));
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
      finish(() =>
        reject(
          /heap out of memory|Allocation failed/i.test(sandbox.stderrTail)
            ? new DocumentTooComplexError(`extracting it needed more than ${limits.heapMb} MiB of memory`)
            : new DocumentTooComplexError(`the extractor stopped on it (${signal ?? `exit ${code}`})`),
        ),
      );
    const timer = setTimeout(
      () => finish(() => reject(new DocumentTooComplexError(`extracting it took longer than ${Math.round(limits.timeoutMs / 1000)} s`))),
      limits.timeoutMs,
    );
    child.on("message", onMessage);
    child.once("exit", onExit);
    child.send(request);
  });
}

function takeIdle(heapMb: number): SandboxChild | undefined {
  const at = idle.findIndex((sandbox) => sandbox.heapMb === heapMb);
  return at === -1 ? undefined : idle.splice(at, 1)[0];
}

function startChild(heapMb: number): SandboxChild {
  const fromSource = import.meta.url.endsWith(".ts");
  const entry = fileURLToPath(new URL(fromSource ? "./sandboxWorker.ts" : `./${SANDBOX_BUNDLE_FILE}`, import.meta.url));
  const child = fork(entry, [], {
    // Run from source (npm start, tests), the child needs the TypeScript loader; the parent's own
    // flags (inspector, test runner hooks) are not passed on.
    execArgv: [...(fromSource ? ["--import", tsxLoaderUrl()] : []), `--max-old-space-size=${heapMb}`],
    serialization: "advanced", // structured clone: the document's bytes travel as bytes
    stdio: ["ignore", "ignore", "pipe", "ipc"],
    // Only what a parser needs: the child reads hostile bytes, so it gets no keys, tokens or AWS credentials.
    env: sandboxEnvironment(),
  });
  // In a lowered worker process the parser yields to the worker's own loop (util/backgroundPriority.ts).
  if (child.pid !== undefined) runBelowOwnPriority(child.pid);
  live++;
  started++;
  const sandbox: SandboxChild = { child, heapMb, stderrTail: "", ready: Promise.resolve(), retired: false };
  child.stderr?.on("data", (chunk: Buffer) => {
    sandbox.stderrTail = (sandbox.stderrTail + chunk.toString("utf8")).slice(-STDERR_TAIL_BYTES);
  });
  sandbox.ready = new Promise((resolve, reject) => {
    const onExit = (code: number | null): void => reject(new Error(`the extraction sandbox did not start (exit ${code}): ${sandbox.stderrTail.trim().slice(-500)}`));
    child.once("message", () => {
      child.off("exit", onExit);
      resolve();
    });
    child.once("exit", onExit);
    child.once("error", (error) => reject(error));
  });
  sandbox.ready.catch(() => undefined);
  child.on("error", () => undefined);
  child.once("exit", () => {
    // An idle child that died frees its place; a busy one is retired by its request's release.
    if (idle.includes(sandbox)) {
      retire(sandbox);
      waiting.shift()?.();
    }
  });
  return sandbox;
}

function sandboxEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // TSX_TSCONFIG_PATH: run from source outside the repository (the `alexandria` command), the child finds the path aliases.
  for (const name of ["PATH", "HOME", "TMPDIR", "LANG", "TZ", "LOG_LEVEL", "VITEST", "TSX_TSCONFIG_PATH"]) {
    if (process.env[name] !== undefined) env[name] = process.env[name];
  }
  return env;
}

/** An idle child must not keep the parent alive; a busy one must. */
function setReferenced(child: ChildProcess, referenced: boolean): void {
  const channel = child.channel as { ref?: () => void; unref?: () => void } | null | undefined;
  const stderr = child.stderr as unknown as { ref?: () => void; unref?: () => void } | null;
  if (referenced) {
    child.ref();
    channel?.ref?.();
    stderr?.ref?.();
  } else {
    child.unref();
    channel?.unref?.();
    stderr?.unref?.();
  }
}

function tsxLoaderUrl(): string {
  const tsxRoot = path.dirname(createRequire(import.meta.url).resolve("tsx/package.json"));
  return pathToFileURL(path.join(tsxRoot, "dist", "loader.mjs")).href;
}

/** The child's error as the class the task runner judges (permanent or not). */
function rebuild(error: { name: string; message: string }): Error {
  switch (error.name) {
    case "DocumentTooComplexError":
      return new DocumentTooComplexError(error.message.replace(/^document_too_complex: /, ""));
    case "UnparseableContentError":
      return new UnparseableContentError(error.message);
    case "UnsupportedContentError":
      return new UnsupportedContentError(error.message);
    default:
      return Object.assign(new Error(error.message), { name: error.name });
  }
}
