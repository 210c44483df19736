/** Starts a local stack in a fresh data directory for one test file. */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startLocalStack, type LocalStack, type LocalStackOptions } from "@local/stack";
import { instantTimings } from "@shared/events/routing";
import { sharedRedisUrl } from "./sharedRedis";

export interface TestStack extends LocalStack {
  dataDir: string;
  dispose(): Promise<void>;
}

export async function startTestStack(options: LocalStackOptions = {}): Promise<TestStack> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "alexandria-test-"));
  const stack = await startLocalStack({
    routeOverrides: instantTimings(),
    sweepIntervalMs: 1_000,
    ...options,
    env: { DATA_DIR: dataDir, PORT: "0", LOG_LEVEL: "silent", QUEUE_PREFIX: `t${process.pid}`, REDIS_URL: sharedRedisUrl(), REDIS_PREFIX: `t${process.pid}${Date.now().toString(36)}:`, ...options.env },
  });
  return Object.assign(stack, {
    dataDir,
    async dispose() {
      await stack.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

export async function waitFor<T>(probe: () => Promise<T | undefined | false>, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ""}`);
}

export async function api<T = unknown>(stack: { url: string }, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(`${stack.url}${path}`, {
    method,
    headers: { ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  // JSON answers are parsed; anything else (the NDJSON export) comes back as its text.
  const json = /^application\/json\b/.test(res.headers.get("content-type") ?? "application/json");
  return { status: res.status, body: (text ? (json ? JSON.parse(text) : text) : null) as T };
}
