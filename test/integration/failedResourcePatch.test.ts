/**
 * Issue 15 finding 9: a content PATCH on a resource whose ingestion failed
 * restarts its ingestion from the new content (decision: restart, not 409;
 * README "Updating a resource"). Meanwhile the resource is `pending` and the
 * freshness view counts it; then it is `completed`, current and searchable
 * by its new text. Both failures: the first ingestion, and the extraction of
 * a content update.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestStack, waitFor, type TestStack } from "../helpers/stack";
import { instantTimings } from "@shared/events/routing";

interface View {
  ingestion: { status: string; error: string | null };
  contentRevision: number;
}
interface Status {
  ingestion: { status: string; error: string | null };
  contentRevision: number;
  upToDate: boolean;
}
interface Freshness {
  ingestion: { pending: number; failed: number };
}

let stack: TestStack;
let inbox: string;

beforeAll(async () => {
  inbox = mkdtempSync(path.join(os.tmpdir(), "alexandria-inbox-"));
  // Ingestion waits 3 s on its queue, so "meanwhile" can be observed.
  stack = await startTestStack({
    env: { FILE_ALLOWED_DIRS: inbox, ALLOW_FILE_URLS: "true" },
    routeOverrides: instantTimings({ ingestion: { delaySeconds: 3 } }),
  });
}, 60_000);

afterAll(async () => {
  await stack?.dispose();
  rmSync(inbox, { recursive: true, force: true });
});

const status = async (id: string) => (await api<Status>(stack, "GET", `/resources/${id}/status`)).body;
const freshness = async () => (await api<Freshness>(stack, "GET", "/monitoring/freshness")).body;

async function failed(id: string): Promise<Status> {
  return waitFor(async () => {
    const s = await status(id);
    return s.ingestion.status === "failed" ? s : undefined;
  }, 60_000);
}

/** PATCHes new content into a failed resource and follows it to current. */
async function patchAndFollow(id: string, word: string): Promise<void> {
  const before = await freshness();
  const patch = await api<View>(stack, "PATCH", `/resources/${id}`, { content: `# Recovered\n\nThis text mentions ${word} and replaces what failed.`, contentType: "text/markdown" });
  expect(patch.status).toBe(202);
  expect(patch.body.ingestion).toMatchObject({ status: "pending", error: null });

  // Meanwhile: pending, not failed, in the resource's own status and in the freshness view.
  const meanwhile = await status(id);
  expect(meanwhile.ingestion.status).toBe("pending");
  expect(meanwhile.upToDate).toBe(false);
  const during = await freshness();
  expect(during.ingestion.pending).toBe(before.ingestion.pending + 1);
  expect(during.ingestion.failed).toBe(before.ingestion.failed - 1);

  const done = await waitFor(async () => {
    const s = await status(id);
    return s.upToDate ? s : undefined;
  }, 120_000, 100);
  expect(done.ingestion).toEqual({ status: "completed", error: null });
  const view = await api<View>(stack, "GET", `/resources/${id}`);
  expect(view.body.ingestion).toMatchObject(done.ingestion);
  const found = await api<{ results: Array<{ id: string }> }>(stack, "GET", `/search?q=${word}&mode=keyword`);
  expect(found.body.results.map((i) => i.id)).toContain(id);
  expect((await freshness()).ingestion.failed).toBe(before.ingestion.failed - 1);
}

describe("content PATCH on a resource whose ingestion failed", () => {
  it("after a failed first ingestion: ingests the new content and becomes current", async () => {
    const res = await api<{ id: string }>(stack, "POST", "/resources", { url: "file:///etc/hostname" });
    expect(res.status).toBe(202);
    expect((await failed(res.body.id)).contentRevision).toBe(0);
    await patchAndFollow(res.body.id, "zanzibar");
  }, 240_000);

  it("after a failed content update: ingests the newer content and becomes current", async () => {
    const res = await api<{ id: string }>(stack, "POST", "/resources", { content: "# First\n\nThe first text of this resource.", contentType: "text/markdown" });
    await waitFor(async () => (await status(res.body.id)).upToDate, 60_000, 100);
    // An update with no text in it fails to extract.
    const empty = await api(stack, "PATCH", `/resources/${res.body.id}`, { content: "<html><body><script>1</script></body></html>", contentType: "text/html" });
    expect(empty.status).toBe(202);
    expect((await failed(res.body.id)).contentRevision).toBe(2);
    await patchAndFollow(res.body.id, "quixotic");
  }, 240_000);
});
