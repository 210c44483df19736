/**
 * Changing the embedder without downtime: a library embedded with the
 * lexical embedder is restarted with the sentence encoder configured. The
 * reconciler re-queues every resource, the normal embedding task re-embeds
 * them in the background, and meanwhile every ranking is computed from ONE
 * embedder's vectors (the old one's until all new vectors are complete). At
 * the end the encoder serves and no old vector remains.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { startLocalStack, type LocalStack } from "@local/stack";
import { createLocalEmbedder } from "@shared/adapters/embedders";
import { SENTENCE_ENCODER_ID } from "@shared/adapters/embedders/sentenceEncoder";
import { searchUncached } from "@shared/app/search";
import { normalizeQuery } from "@shared/domain/ftsQuery";
import { cosine } from "@shared/domain/ranking";
import { instantTimings } from "@shared/events/routing";
import { createReconcilerJob } from "@shared/jobs/reconciler";
import { api, waitFor } from "../../helpers/stack";
import { sharedRedisUrl } from "../../helpers/sharedRedis";

const dataDir = mkdtempSync(path.join(os.tmpdir(), "alexandria-switch-"));
const redisPrefix = `t${process.pid}sw${Date.now().toString(36)}:`;
let stack: LocalStack | undefined;

function start(embedder: "lexical" | "encoder"): Promise<LocalStack> {
  return startLocalStack({
    // Embeddings take a moment each, so the switch is observed while it runs.
    routeOverrides: instantTimings({ embedding: { delaySeconds: 1 } }),
    sweepIntervalMs: 1_000,
    env: { DATA_DIR: dataDir, PORT: "0", LOG_LEVEL: "silent", QUEUE_PREFIX: `sw${process.pid}${embedder}`, REDIS_URL: sharedRedisUrl(), REDIS_PREFIX: redisPrefix, EMBEDDER: embedder },
  });
}

afterAll(async () => {
  await stack?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const TOPICS = [
  "Vacuum reclaims the storage taken by deleted rows so that tables stop growing.",
  "A unique constraint makes a column reject duplicate values.",
  "Back up the database with a dump and restore it on another server.",
  "Window functions compute running totals over ordered rows.",
  "Replication keeps a read-only copy of the server on another machine.",
  "Triggers run a function automatically whenever a row is inserted.",
];
const QUERY = "free the space left by removed rows";

type Snapshot = Map<string, Map<string, number[][]>>; // model → resource → vectors

async function vectors(s: LocalStack): Promise<Snapshot> {
  const rs = await s.app.store.client.execute("SELECT model, resource_id, vector_extract(vector) AS v FROM passage_vectors");
  const out: Snapshot = new Map();
  for (const r of rs.rows) {
    const byResource = out.get(String(r.model)) ?? new Map<string, number[][]>();
    byResource.set(String(r.resource_id), [...(byResource.get(String(r.resource_id)) ?? []), JSON.parse(String(r.v)) as number[]]);
    out.set(String(r.model), byResource);
  }
  return out;
}

/** The models whose vectors (in one of the snapshots) give exactly every score of the ranking. */
function modelsExplaining(hits: Array<{ id: string; score: number }>, queryVectors: Map<string, number[]>, snapshots: Snapshot[]): Set<string> {
  const models = new Set<string>();
  for (const [model, query] of queryVectors) {
    for (const snap of snapshots) {
      const byResource = snap.get(model);
      const explains = hits.every((hit) => {
        const vs = byResource?.get(hit.id);
        return vs !== undefined && Math.abs(Math.max(...vs.map((v) => cosine(query, v))) - hit.score) < 1e-4;
      });
      if (explains) models.add(model);
    }
  }
  return models;
}

describe("changing the embedder", () => {
  it("re-embeds in the background, never mixes two embedders in a ranking, and leaves none of the old vectors", async () => {
    // 1. A library embedded by the lexical embedder.
    stack = await start("lexical");
    const ids: string[] = [];
    for (const content of TOPICS) ids.push((await api<{ id: string }>(stack, "POST", "/resources", { content, contentType: "text/plain" })).body.id);
    for (const id of ids) await waitFor(async () => (await api<{ upToDate: boolean }>(stack!, "GET", `/resources/${id}/status`)).body.upToDate, 60_000);
    const lexicalId = stack.app.embedder.id;
    await stack.stop();

    // 2. Restarted with the sentence encoder: search still answers from the lexical vectors.
    stack = await start("encoder");
    expect(stack.app.embedder.id).toBe(SENTENCE_ENCODER_ID);
    const before = await api<{ embedders: { serving: string; configured: string; remaining: number } }>(stack, "GET", "/monitoring/search");
    expect(before.body.embedders).toMatchObject({ serving: lexicalId, configured: SENTENCE_ENCODER_ID, remaining: TOPICS.length });
    const q = normalizeQuery(QUERY);
    const queryVectors = new Map<string, number[]>([
      [lexicalId, Array.from((await createLocalEmbedder().embed([q]))[0]!)],
      [SENTENCE_ENCODER_ID, Array.from((await stack.app.embedder.embed([q]))[0]!)],
    ]);
    const first = await searchUncached(stack.app, { q: QUERY, mode: "semantic", limit: 10, offset: 0 });
    expect(first.results).toHaveLength(TOPICS.length);
    expect([...modelsExplaining(first.results, queryVectors, [await vectors(stack)])]).toEqual([lexicalId]);

    // 3. The reconciler re-queues every resource; rankings are watched while the tasks re-embed.
    const summary = await createReconcilerJob({ graceMs: 0 }).run(stack.app);
    expect((summary as { requeued: Record<string, number> }).requeued.embedding).toBe(TOPICS.length);
    const servedBy: string[] = [];
    let sawBoth = false;
    await waitFor(async () => {
      const snapBefore = await vectors(stack!);
      const ranking = await searchUncached(stack!.app, { q: QUERY, mode: "semantic", limit: 10, offset: 0 });
      const snapAfter = await vectors(stack!);
      if ((snapBefore.get(SENTENCE_ENCODER_ID)?.size ?? 0) > 0 && (snapBefore.get(lexicalId)?.size ?? 0) > 0) sawBoth = true;
      const models = modelsExplaining(ranking.results, queryVectors, [snapBefore, snapAfter]);
      expect(models.size, `a ranking no single embedder explains: ${JSON.stringify(ranking.results)}`).toBeGreaterThanOrEqual(1);
      servedBy.push([...models].join("+"));
      const status = await api<{ embedders: { serving: string; remaining: number } }>(stack!, "GET", "/monitoring/search");
      return status.body.embedders.serving === SENTENCE_ENCODER_ID && ranking.results.length === TOPICS.length;
    }, 90_000, 50);
    expect(sawBoth).toBe(true);
    expect(servedBy[0]).toBe(lexicalId);

    // 4. The encoder serves; no old vector is left anywhere.
    const final = await searchUncached(stack.app, { q: QUERY, mode: "semantic", limit: 10, offset: 0 });
    expect([...modelsExplaining(final.results, queryVectors, [await vectors(stack)])]).toEqual([SENTENCE_ENCODER_ID]);
    const left = await stack.app.store.client.execute({
      sql: "SELECT (SELECT count(*) FROM passage_vectors WHERE model != ?) + (SELECT count(*) FROM resource_embeddings WHERE model != ?) AS n",
      args: [SENTENCE_ENCODER_ID, SENTENCE_ENCODER_ID],
    });
    expect(Number(left.rows[0]!.n)).toBe(0);
    const after = await api<{ embedders: { serving: string; remaining: number; vectorsByEmbedder: Record<string, number> } }>(stack, "GET", "/monitoring/search");
    expect(after.body.embedders.remaining).toBe(0);
    expect(Object.keys(after.body.embedders.vectorsByEmbedder)).toEqual([SENTENCE_ENCODER_ID]);
  }, 180_000);
});
