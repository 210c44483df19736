/** A tiny HTTP client for the API under test, and polling helpers. */

export interface ApiResponse<T> {
  status: number;
  body: T;
  ms: number;
}

export async function call<T = unknown>(base: string, method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
  const t0 = performance.now();
  const res = await fetch(`${base}${path}`, {
    method,
    headers: body !== undefined ? { "content-type": "application/json" } : {},
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  const ms = performance.now() - t0;
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed as T, ms };
}

/** Like `call`, but throws unless the status is one of `expected`. */
export async function expectStatus<T = unknown>(expected: number | number[], base: string, method: string, path: string, body?: unknown): Promise<ApiResponse<T>> {
  const res = await call<T>(base, method, path, body);
  const ok = Array.isArray(expected) ? expected.includes(res.status) : res.status === expected;
  if (!ok) throw new Error(`${method} ${path} → ${res.status}: ${JSON.stringify(res.body).slice(0, 500)}`);
  return res;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a truthy value; throws after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false | null>, timeoutMs: number, intervalMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (${String(last)})` : ""}`);
    await sleep(intervalMs);
  }
}

export interface ResourceStatus {
  upToDate: boolean;
  ingestion: { status: string; error: string | null };
  revision: number;
  derived: Record<"embedding" | "searchIndex" | "quality" | "classification", { revision: number; current: boolean }>;
}
