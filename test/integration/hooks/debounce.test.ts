/**
 * Hooks table, rows 1 and 2 (requirement 3.1, 3.2; docs/architecture.md, "Debounce and idempotence by revision"): debounce
 * by revision. N updates inside the route's delay window cost exactly one
 * computation, and it is of the last revision.
 *
 * The windows are route overrides (6 s for embedding, 5 s for quality): long
 * enough for ten HTTP updates on a loaded machine, short enough for CI. Real
 * libSQL, real fauxqs through the AWS SDK, real pollers.
 *
 * Figures: `npx vitest run test/integration/hooks/debounce.test.ts` prints the
 * debounce counts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestStack, waitFor, type TestStack } from "../../helpers/stack";
import { instantTimings } from "@shared/events/routing";
import { computeQuality } from "@shared/domain/quality";
import { splitPassages, textsForMeaning } from "@shared/domain/passages";
import { resourceStatus, untilCurrent } from "../../helpers/resourceStatus";
import { lastLedgerId, readLedger } from "../../helpers/taskLedger";
import { countEmbeddings, type CountingEmbedder } from "../../helpers/countingEmbedder";

// Windows are configuration: wide enough that ten HTTP updates fit inside them even on a loaded
// 2-core CI machine (a PATCH there can take 0.5 s); the property proven is the same at any width.
const EMBEDDING_WINDOW_S = 6;
const QUALITY_WINDOW_S = 5;
const UPDATES = 10;

let stack: TestStack;
/** What reaches the embedder: the computations the debounce must avoid. */
let embedder: CountingEmbedder;
beforeAll(async () => {
  stack = await startTestStack({
    routeOverrides: instantTimings({ embedding: { delaySeconds: EMBEDDING_WINDOW_S }, quality: { delaySeconds: QUALITY_WINDOW_S } }),
  });
  embedder = countEmbeddings(stack.app);
});
afterAll(async () => {
  await stack?.dispose();
});

function paragraph(tag: string): string {
  return [
    `Revision marker ${tag}. The library keeps derived data current without a timer lock.`,
    `Each update of ${tag} bumps the content revision in the same write as the change,`,
    "and a task woken for an older revision simply does nothing because a newer message is on its way.",
  ].join(" ");
}

async function createCurrent(text: string, title: string): Promise<string> {
  const res = await api<{ id: string }>(stack, "POST", "/resources", { content: text, contentType: "text/plain", title });
  expect(res.status).toBe(202);
  await untilCurrent(stack, res.body.id, { timeoutMs: 40_000 });
  // A task's ledger row is written just after its result commits: wait for the rows too, so they are not counted after the mark.
  await waitFor(async () => {
    const rs = await stack.app.store.client.execute({
      sql: "SELECT count(DISTINCT task) AS n FROM task_runs WHERE resource_id = ? AND status = 'succeeded' AND task IN ('ingestion','embedding','search-index','quality','classification')",
      args: [res.body.id],
    });
    return Number(rs.rows[0]!.n) === 5;
  });
  return res.body.id;
}

describe("debounce by revision", () => {
  it(`${UPDATES} content updates inside the ${EMBEDDING_WINDOW_S} s window → exactly one embedding computation, of the last revision`, async () => {
    const id = await createCurrent(paragraph("initial"), "Debounce subject");
    const mark = await lastLedgerId(stack.app.store);
    const computedBefore = embedder.calls;

    // Ten clients editing at once (sent together, so the burst fits the window even on a slow machine).
    const texts = Array.from({ length: UPDATES }, (_, i) => paragraph(`update${i + 1}x${Date.now().toString(36)}`));
    const t0 = Date.now();
    const answers = await Promise.all(texts.map((content) => api(stack, "PATCH", `/resources/${id}`, { content, contentType: "text/plain" })));
    const burstMs = Date.now() - t0;
    // Content is extracted by the ingestion task, not in the request: each update is accepted (202) with its revision.
    for (const a of answers) expect(a.status).toBe(202);
    // The property is only claimed for updates inside the window.
    expect(burstMs).toBeLessThan(EMBEDDING_WINDOW_S * 1000);

    const status = await untilCurrent(stack, id, { timeoutMs: 40_000 });
    expect(status.contentRevision).toBe(1 + UPDATES);
    // One ingestion message per update; each extraction that finds its revision still the newest announces the text.
    const extractions = await waitFor(async () => {
      const r = await readLedger(stack.app.store, { task: "ingestion", resourceId: id, afterId: mark });
      return r.length >= UPDATES ? r : undefined;
    }, 20_000);
    expect(extractions).toHaveLength(UPDATES);
    const announced = extractions.filter((r) => r.status === "succeeded");
    expect(announced.length).toBeGreaterThanOrEqual(1);
    expect(announced.at(-1)!.revision).toBe(1 + UPDATES);
    // Every embedding message has been handled: one per announced text.
    const rows = await waitFor(async () => {
      const r = await readLedger(stack.app.store, { task: "embedding", resourceId: id, afterId: mark });
      return r.length >= announced.length ? r : undefined;
    }, 20_000);
    // Let a late duplicate (there should be none) show up before counting.
    await new Promise((r) => setTimeout(r, 1_000));
    const settled = await readLedger(stack.app.store, { task: "embedding", resourceId: id, afterId: mark });
    expect(settled).toEqual(rows);

    const succeeded = rows.filter((r) => r.status === "succeeded");
    const skipped = rows.filter((r) => r.status === "skipped");
    console.log(
      `[debounce] ${UPDATES} updates in ${burstMs} ms → ${announced.length} extraction(s) announced; embedding: ${succeeded.length} computation(s), ${skipped.length} skipped as superseded; embedder calls: ${embedder.calls - computedBefore}`,
    );
    expect(rows).toHaveLength(announced.length);
    expect(succeeded).toHaveLength(1);
    expect(succeeded[0]!.revision).toBe(1 + UPDATES);
    expect(skipped).toHaveLength(announced.length - 1);
    for (const s of skipped) expect(s.detail).toMatch(/superseded by content revision|waiting for ingested content/);
    expect(embedder.calls - computedBefore).toBe(1);

    // The stored vectors are the embeddings of the final text's title and passages.
    const stored = (await stack.app.store.client.execute({ sql: "SELECT r.content AS content, r.title AS title, r.content_revision AS cr, r.embedded_revision AS er FROM resources r WHERE r.id = ?", args: [id] })).rows[0]!;
    // The last write to commit holds the final text; the vectors must be of exactly that text.
    expect(texts.some((t) => String(stored.content).includes(t.slice(0, 40)))).toBe(true);
    expect(Number(stored.er)).toBe(1 + UPDATES);
    const vectors = await stack.app.store.client.execute({
      sql: "SELECT ordinal, content_revision AS cr, vector_extract(vector) AS v FROM passage_vectors WHERE resource_id = ? AND model = ? ORDER BY ordinal",
      args: [id, stack.app.embedder.id],
    });
    const meaning = textsForMeaning(String(stored.title), splitPassages(String(stored.content)));
    expect(vectors.rows.map((r) => Number(r.ordinal))).toEqual(meaning.map((m) => m.ordinal));
    for (const r of vectors.rows) expect(Number(r.cr)).toBe(Number(stored.cr));
    const expected = await embedder.inner.embed(meaning.map((m) => m.text));
    let maxDiff = 0;
    vectors.rows.forEach((r, k) => {
      const vector = JSON.parse(String(r.v)) as number[];
      expect(vector).toHaveLength(expected[k]!.length);
      for (let i = 0; i < vector.length; i++) maxDiff = Math.max(maxDiff, Math.abs(vector[i]! - expected[k]![i]!));
    });
    expect(maxDiff).toBeLessThan(1e-5);
  });

  it(`${UPDATES} metadata updates inside the ${QUALITY_WINDOW_S} s window → exactly one quality computation, of the last revision`, async () => {
    const id = await createCurrent(paragraph("quality subject"), "Quality subject");
    const mark = await lastLedgerId(stack.app.store);
    const textsBefore = embedder.texts;
    const before = await resourceStatus(stack, id);

    const t0 = Date.now();
    const answers = await Promise.all(
      Array.from({ length: UPDATES }, (_, k) => api(stack, "PATCH", `/resources/${id}`, { title: `Quality subject, edition ${k + 1}`, description: "d".repeat((k + 1) * 20) })),
    );
    const burstMs = Date.now() - t0;
    for (const a of answers) expect(a.status).toBe(200);
    expect(burstMs).toBeLessThan(QUALITY_WINDOW_S * 1000);

    const status = await untilCurrent(stack, id, { timeoutMs: 40_000 });
    expect(status.metadataRevision).toBe(before.metadataRevision + UPDATES);
    expect(status.contentRevision).toBe(before.contentRevision);
    const rows = await waitFor(async () => {
      const r = await readLedger(stack.app.store, { task: "quality", resourceId: id, afterId: mark });
      return r.length >= UPDATES ? r : undefined;
    }, 20_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await readLedger(stack.app.store, { task: "quality", resourceId: id, afterId: mark })).toEqual(rows);

    const succeeded = rows.filter((r) => r.status === "succeeded");
    const skipped = rows.filter((r) => r.status === "skipped");
    console.log(`[debounce] quality: ${UPDATES} metadata updates in ${burstMs} ms → ${succeeded.length} computation(s), ${skipped.length} skipped as superseded`);
    expect(rows).toHaveLength(UPDATES);
    expect(succeeded).toHaveLength(1);
    expect(succeeded[0]!.revision).toBe(status.revision);
    expect(skipped).toHaveLength(UPDATES - 1);
    for (const s of skipped) expect(s.detail).toMatch(/superseded by revision/);
    // The title is embedded too: the same debounce holds, and only the final title is embedded (its passages are reused).
    // Its window is longer than quality's: wait for every message to be handled.
    const embeddings = await waitFor(async () => {
      const r = await readLedger(stack.app.store, { task: "embedding", resourceId: id, afterId: mark });
      return r.length >= UPDATES && r.some((x) => x.status === "succeeded") ? r : undefined;
    }, 20_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await readLedger(stack.app.store, { task: "embedding", resourceId: id, afterId: mark })).toEqual(embeddings);
    expect(embeddings).toHaveLength(UPDATES);
    expect(embeddings.filter((r) => r.status === "succeeded")).toHaveLength(1);
    for (const e of embeddings.filter((r) => r.status === "skipped")) expect(e.detail).toMatch(/superseded by metadata revision/);
    expect(embedder.texts - textsBefore).toBe(1);

    // The stored score is the score of the final metadata.
    const r = (await stack.app.store.client.execute({ sql: "SELECT * FROM resources WHERE id = ?", args: [id] })).rows[0]!;
    expect(Number(r.quality_revision)).toBe(status.revision);
    expect(String(r.title)).toMatch(/^Quality subject, edition \d+$/);
    const citationCount = Number((await stack.app.store.client.execute({ sql: "SELECT count(*) AS n FROM citations WHERE source_id = ?", args: [id] })).rows[0]?.n ?? 0);
    const expected = computeQuality({
      title: String(r.title),
      description: r.description === null ? null : String(r.description),
      authors: JSON.parse(String(r.authors)) as string[],
      text: String(r.content ?? ""),
      language: r.language === null ? null : String(r.language),
      citationCount,
      source: r.source === null ? null : String(r.source),
      url: r.url === null ? null : String(r.url),
      contentType: r.content_type === null ? "text/plain" : String(r.content_type),
    });
    expect(Number(r.quality_score)).toBeCloseTo(expected.score, 10);
  });
});
