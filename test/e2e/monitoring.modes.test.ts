/**
 * Inline and queued task modes give the same derived data (requirement 12).
 * The same scenario runs against a stack in each mode: three real documents
 * ingested, then one of them gets new metadata and new content. Afterwards
 * every derived datum is compared: content hash and revisions, quality score
 * and dimensions, categories, the embedding vector (byte for byte), the
 * full-text row, the canonical authors and the ledger's set of succeeded tasks.
 *
 * In inline mode the request itself runs the whole chain, so each answer
 * already finds the resource current; in queued mode the test waits for it.
 */
import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { api, startTestStack, waitFor, type TestStack } from "../helpers/stack";
import { resourceStatus } from "../helpers/resourceStatus";

const docs = [
  { file: "node_modules/zod/README.md", contentType: "text/markdown" },
  { file: "node_modules/ioredis/README.md", contentType: "text/markdown" },
  { file: "node_modules/croner/README.md", contentType: "text/markdown" },
] as const;

const update = {
  metadata: { title: "Redis for Node, revised", authors: ["Luin, Zihua", "Z. Luin"], description: "A client, described again." },
  content:
    "# A smaller Redis client\n\nThis text replaces the README. It is about connections, pipelines, clusters and sentinels, " +
    "and it mentions reconnection with exponential backoff and the offline queue.\n",
};

type Snapshot = Record<string, unknown>;

async function isCurrent(stack: TestStack, id: string): Promise<boolean> {
  const s = await resourceStatus(stack, id);
  if (s.ingestion.status === "failed") throw new Error(`ingestion failed: ${s.ingestion.error}`);
  return s.upToDate;
}

async function settled(stack: TestStack, ids: string[]): Promise<void> {
  if (stack.config.taskMode === "inline") {
    for (const id of ids) expect(await isCurrent(stack, id), `inline: ${id} is current when the request answers`).toBe(true);
    return;
  }
  for (const id of ids) await waitFor(async () => ((await isCurrent(stack, id)) ? true : undefined), 60_000);
  // Let tasks triggered by the last events (quality after a metadata change) finish too.
  await waitFor(async () => {
    const q = await api<{ items: Array<{ visible: number; inFlight: number; delayed: number }> }>(stack, "GET", "/monitoring/queues");
    return q.body.items.every((i) => i.visible + i.inFlight + i.delayed === 0) ? true : undefined;
  }, 30_000);
}

async function snapshot(stack: TestStack, id: string): Promise<Snapshot> {
  const one = async (sql: string) => (await stack.app.store.client.execute({ sql, args: [id] })).rows;
  const [row] = await one(
    `SELECT title, description, authors, content_hash, revision, content_revision, metadata_revision, ingestion_status,
            embedded_revision, indexed_revision, quality_revision, classified_revision, quality_score, quality_dimensions
     FROM resources WHERE id = ?`,
  );
  const categories = await one("SELECT category, source, confidence, content_revision FROM categories WHERE resource_id = ? ORDER BY source, category");
  const [embedding] = await one("SELECT content_hash, content_revision, model, hex(vector) AS vector FROM resource_embeddings WHERE resource_id = ?");
  const fts = await one("SELECT title, description, body FROM resources_fts WHERE resource_id = ?");
  const authors = await one(
    `SELECT ra.position, ra.raw_name, a.canonical_name FROM resource_authors ra JOIN authors a ON a.id = ra.author_id
     WHERE ra.resource_id = ? ORDER BY ra.position`,
  );
  const succeeded = await one("SELECT DISTINCT task FROM task_runs WHERE resource_id = ? AND status = 'succeeded' ORDER BY task");
  const plain = (r: object | undefined) => (r ? { ...r } : r);
  return {
    resource: plain(row),
    categories: categories.map(plain),
    embedding: plain(embedding),
    fts: fts.map(plain),
    authors: authors.map(plain),
    succeededTasks: succeeded.map((r) => r.task),
  };
}

async function runScenario(mode: "inline" | "queued"): Promise<Snapshot[]> {
  const stack = await startTestStack({ env: { TASK_MODE: mode, QUEUE_PREFIX: `modes${process.pid}${randomUUID().slice(0, 6)}` } });
  try {
    expect(stack.config.taskMode).toBe(mode);
    expect(stack.pollers.length).toBe(mode === "queued" ? stack.routes.length : 0);
    const ids: string[] = [];
    for (const d of docs) {
      const res = await api<{ id: string }>(stack, "POST", "/resources", { content: readFileSync(d.file, "utf8"), contentType: d.contentType, source: d.file });
      expect(res.status).toBe(202);
      ids.push(res.body.id);
      // One at a time, in both modes: identical content history, identical neighbours for the classifier.
      await settled(stack, [res.body.id]);
    }
    const target = ids[1]!;
    expect((await api(stack, "PATCH", `/resources/${target}`, update.metadata)).status).toBe(200);
    await settled(stack, [target]);
    expect((await api(stack, "PATCH", `/resources/${target}`, { content: update.content, contentType: "text/markdown" })).status).toBe(202);
    await settled(stack, ids);
    return await Promise.all(ids.map((id) => snapshot(stack, id)));
  } finally {
    await stack.dispose();
  }
}

describe("TASK_MODE inline and queued", () => {
  it("give identical derived data for the same scenario", async () => {
    const inline = await runScenario("inline");
    const queued = await runScenario("queued");

    // The scenario did what it says, so the comparison is about something.
    const changed = queued[1]!.resource as Record<string, unknown>;
    expect(changed.title).toBe(update.metadata.title);
    expect(changed.content_revision).toBe(2);
    expect(changed.metadata_revision).toBeGreaterThanOrEqual(2);
    for (const s of queued) {
      const r = s.resource as Record<string, unknown>;
      expect(r.ingestion_status).toBe("completed");
      expect(typeof r.quality_score).toBe("number");
      expect(String((s.embedding as Record<string, unknown>).vector).length).toBeGreaterThan(1000);
      expect((s.categories as unknown[]).length).toBeGreaterThan(0);
      expect((s.fts as unknown[]).length).toBe(1);
    }
    expect(((queued[1]!.fts as Array<Record<string, unknown>>)[0]!.body as string)).toContain("exponential backoff");
    expect((queued[1]!.authors as unknown[]).length).toBe(2);

    for (let i = 0; i < docs.length; i++) {
      expect(inline[i], `document ${i} (${docs[i]!.file})`).toEqual(queued[i]);
    }
  }, 240_000);
});
