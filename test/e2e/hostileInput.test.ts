/**
 * Hostile documents and hostile requests against a running local stack (real
 * libSQL, fauxqs, Redis, worker processes): a decompression bomb fails alone
 * with `document_too_complex` and the service goes on; public answers carry no
 * internals (paths, resolved addresses, store errors, raw correlation ids).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestStack, waitFor, type TestStack } from "../helpers/stack";
import { pdfBomb } from "../helpers/hostileDocuments";

interface View {
  ingestion: { status: string; error: string | null };
}

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
});
afterAll(async () => {
  await stack?.dispose();
});

/**
 * The resource once its ingestion failed, as readers see it. Polled on /status
 * (never cached) so the resource itself is read only after the failure (a
 * cached `pending` read is issue 15's finding 8, fixed separately).
 */
async function failedView(id: string): Promise<View> {
  await waitFor(async () => (await api<View>(stack, "GET", `/resources/${id}/status`)).body.ingestion.status === "failed", 90_000, 250);
  return (await api<View>(stack, "GET", `/resources/${id}`)).body;
}

describe("hostile documents", () => {
  it("fails a 300 MiB PDF bomb with document_too_complex, and the next document is still ingested", async () => {
    const bomb = Buffer.from(await pdfBomb(300)).toString("base64");
    const posted = await api<{ id: string }>(stack, "POST", "/resources", { content: bomb, contentType: "application/pdf" });
    expect(posted.status).toBe(202);
    const view = await failedView(posted.body.id);
    expect(view.ingestion.error).toMatch(/^document_too_complex: /);
    const status = await api<View>(stack, "GET", `/resources/${posted.body.id}/status`);
    expect(status.body.ingestion).toMatchObject({ status: "failed", error: view.ingestion.error });

    expect((await api(stack, "GET", "/health")).status).toBe(200);
    const next = await api<{ id: string }>(stack, "POST", "/resources", { content: "An ordinary note after the bomb.", contentType: "text/plain" });
    await waitFor(async () => (await api<View>(stack, "GET", `/resources/${next.body.id}/status`)).body.ingestion.status === "completed", 60_000);
  }, 180_000);
});

describe("public answers carry no internals", () => {
  it("refuses a URL with a user name or password at the schema (400)", async () => {
    for (const url of ["https://user:pass@example.org/doc", "https://token@example.org/doc"]) {
      const res = await api<{ error: string }>(stack, "POST", "/resources", { url });
      expect(res.status, url).toBe(400);
      expect(res.body.error).toMatch(/user name or password/);
    }
  });

  it("does not tell readers what a refused host resolves to", async () => {
    const posted = await api<{ id: string }>(stack, "POST", "/resources", { url: "http://localhost:9/secret" });
    const view = await failedView(posted.body.id);
    expect(view.ingestion.error).toBe("fetch_refused: the URL is not allowed by the fetch policy");
    expect(view.ingestion.error).not.toMatch(/127\.0\.0\.1|resolves|localhost/);
  });

  it("does not show server paths in ingestion errors", async () => {
    const posted = await api<{ id: string }>(stack, "POST", "/resources", { url: "file:///etc/hostname" });
    const view = await failedView(posted.body.id);
    expect(view.ingestion.error).not.toMatch(/\/etc|hostname|\/tmp|alexandria-test/);
  });

  it("cuts a long or odd x-correlation-id to 128 safe characters, on every path", async () => {
    const hostile = `${"A".repeat(8_000)}`;
    for (const path of ["/no/such/route", "/health", "/resources/does-not-exist"]) {
      const res = await fetch(`${stack.url}${path}`, { headers: { "x-correlation-id": hostile } });
      const echoed = res.headers.get("x-correlation-id") ?? "";
      expect(echoed.length, path).toBeLessThanOrEqual(128);
      expect(await res.text()).not.toContain("A".repeat(129));
    }
    const odd = await fetch(`${stack.url}/health`, { headers: { "x-correlation-id": "abc<script>def" } });
    expect(odd.headers.get("x-correlation-id")).toBe("abcscriptdef");
  });

  it("answers /health without the store's error when the store is unreachable", async () => {
    // The store is made unreachable at its boundary: its health check reports what libSQL would.
    const healthCheck = stack.app.store.healthCheck.bind(stack.app.store);
    stack.app.store.healthCheck = async () => ({ ok: false, latencyMs: 3, error: "SERVER_ERROR: connect ECONNREFUSED libsql://admin:s3cret@10.1.2.3:8080" });
    try {
      const res = await fetch(`${stack.url}/health`);
      expect(res.status).toBe(503);
      const text = await res.text();
      expect(text).not.toMatch(/s3cret|10\.1\.2\.3|ECONNREFUSED/);
      expect(JSON.parse(text)).toMatchObject({ status: "degraded", store: { ok: false } });
    } finally {
      stack.app.store.healthCheck = healthCheck;
    }
  });

  it("answers an unexpected failure with {error, requestId} only", async () => {
    const healthCheck = stack.app.store.healthCheck.bind(stack.app.store);
    stack.app.store.healthCheck = async () => {
      throw new Error("ENOENT: no such file or directory, open '/srv/alexandria/secret.db'");
    };
    try {
      const res = await fetch(`${stack.url}/health`, { headers: { "x-correlation-id": "trace-500" } });
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({ error: "internal error", requestId: "trace-500" });
    } finally {
      stack.app.store.healthCheck = healthCheck;
    }
  });
});
