/**
 * Hooks table, row 4 (requirement 3.4; docs/architecture.md, "Batching"): citations of many
 * resources are applied in ONE batch (one invocation, one transaction) after
 * the batching window; links go both ways; a citation of a resource that is
 * ingested later gets linked when it arrives.
 *
 * Documents are served by a real HTTP server on 127.0.0.1 (the stack runs with
 * ALLOW_PRIVATE_NETWORKS=true); a resource's citation key is its URL. The
 * graph-edges window is shortened from 30 s to 2 s, its batch size stays 100.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestStack, waitFor, type TestStack } from "../../helpers/stack";
import { startLocalServer, type LocalServer } from "../../helpers/localServer";
import { instantTimings } from "@shared/events/routing";
import { activeModel } from "@shared/app/classifierModels";
import { readLedger, type LedgerRow } from "../../helpers/taskLedger";

const WINDOW_S = 2;

interface Neighbors {
  id: string;
  cites: Array<{ kind: string; value: string; resourceId: string | null }>;
  citedBy: Array<{ resourceId: string }>;
}
let stack: TestStack;
let server: LocalServer;

/** Each document cites the others by URL; `later` is ingested only after the first batch. */
const docs: Record<string, string[]> = { alpha: ["beta", "gamma", "later"], beta: ["alpha"], gamma: ["alpha", "beta"], later: [] };
const delayMs: Record<string, number> = { alpha: 0, beta: 600, gamma: 1200 };

beforeAll(async () => {
  server = await startLocalServer((req, res, s) => {
    const name = (req.url ?? "/").slice(1);
    const cites = docs[name];
    if (!cites) {
      res.writeHead(404).end();
      return;
    }
    const body = [
      `Paper ${name}: a study of citation graphs in a small library.`,
      ...cites.map((c) => `It builds on the work published at ${s.url(`/${c}`)} which we discuss at length.`),
      "The rest of this document is ordinary prose about graphs, edges and batches.",
    ].join("\n\n");
    // Staggered answers: the citations arrive spread over a second, so only the window gathers them.
    setTimeout(() => res.writeHead(200, { "content-type": "text/plain; charset=utf-8" }).end(body), delayMs[name] ?? 0);
  });
  stack = await startTestStack({
    env: { ALLOW_PRIVATE_NETWORKS: "true" },
    routeOverrides: instantTimings({ "graph-edges": { batchWindowSeconds: WINDOW_S, batchSize: 100 } }),
  });
  // The first classification trains the classifier (CPU-bound, seconds); do it before timing anything.
  await activeModel(stack.app);
});
afterAll(async () => {
  await stack?.dispose();
  await server?.close();
});

function graphLedger(): Promise<LedgerRow[]> {
  return readLedger(stack.app.store, { task: "graph-edges" });
}

async function neighborsOf(id: string): Promise<Neighbors> {
  const res = await api<Neighbors>(stack, "GET", `/resources/${id}/neighbors`);
  expect(res.status).toBe(200);
  return res.body;
}

describe("graph edges", () => {
  const ids: Record<string, string> = {};

  it(`applies the citations of several resources in one batch after the ${WINDOW_S} s window, linked both ways`, async () => {
    const names = ["alpha", "beta", "gamma"];
    const created = await api<{ items: Array<{ id: string }> }>(stack, "POST", "/resources/batch", { items: names.map((n) => ({ url: server.url(`/${n}`) })) });
    expect(created.status).toBe(202);
    names.forEach((n, i) => (ids[n] = created.body.items[i]!.id));

    await waitFor(async () => new Set((await graphLedger()).map((r) => r.resourceId)).size >= names.length, 40_000);
    // Any other delivery of the same batch is recorded with it.
    await new Promise((r) => setTimeout(r, 500));
    const rows = await graphLedger();
    const graphDone = await stack.app.store.client.execute({ sql: "SELECT count(*) AS n FROM resources WHERE graph_revision >= 1 AND id IN (?, ?, ?)", args: names.map((n) => ids[n]!) });
    expect(Number(graphDone.rows[0]!.n)).toBe(3);

    // One invocation: every row shares one start time and names the batch of three. (Delivery is
    // at least once, so a message published twice shows up as a second row of the same invocation.)
    expect(new Set(rows.map((r) => r.resourceId))).toEqual(new Set(names.map((n) => ids[n])));
    expect(rows.every((r) => r.status === "succeeded")).toBe(true);
    expect(new Set(rows.map((r) => r.startedAt)).size).toBe(1);
    expect(rows.every((r) => r.detail === "batch of 3")).toBe(true);

    // One transaction: one graph.edges_updated event naming all three.
    const events = await stack.app.store.client.execute("SELECT payload FROM outbox WHERE name = 'graph.edges_updated'");
    expect(events.rows).toHaveLength(1);
    const payload = JSON.parse(String(events.rows[0]!.payload)) as { resourceIds: string[]; edges: number };
    expect(new Set(payload.resourceIds)).toEqual(new Set(names.map((n) => ids[n])));

    // Both directions.
    const alpha = await neighborsOf(ids.alpha!);
    expect(alpha.cites.filter((c) => c.resourceId).map((c) => c.resourceId).sort()).toEqual([ids.beta, ids.gamma].sort());
    expect(alpha.cites.find((c) => c.value.endsWith("/later"))?.resourceId).toBeNull();
    expect(alpha.citedBy.map((c) => c.resourceId).sort()).toEqual([ids.beta, ids.gamma].sort());
    const beta = await neighborsOf(ids.beta!);
    expect(beta.cites.map((c) => c.resourceId)).toEqual([ids.alpha]);
    expect(beta.citedBy.map((c) => c.resourceId).sort()).toEqual([ids.alpha, ids.gamma].sort());
  });

  it("links a citation to a resource ingested later when that resource arrives", async () => {
    const before = (await graphLedger()).length;
    const created = await api<{ id: string }>(stack, "POST", "/resources", { url: server.url("/later") });
    expect(created.status).toBe(202);
    ids.later = created.body.id;
    await waitFor(async () => {
      const rs = await stack.app.store.client.execute({ sql: "SELECT target_id FROM citations WHERE source_id = ? AND value LIKE '%/later'", args: [ids.alpha!] });
      // The link commits inside the task; its ledger row is written once the task has finished (cache invalidated too).
      return rs.rows[0]?.target_id === ids.later && (await graphLedger()).length > before;
    }, 30_000);
    const rows = (await graphLedger()).slice(before);
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => `${r.resourceId}:${r.status}`))).toEqual(new Set([`${ids.later}:succeeded`]));
    // The graph cache was invalidated: the API shows the new edge at once.
    const later = await neighborsOf(ids.later);
    expect(later.citedBy.map((c) => c.resourceId)).toEqual([ids.alpha]);
    const alpha = await neighborsOf(ids.alpha!);
    expect(alpha.cites.find((c) => c.value.endsWith("/later"))?.resourceId).toBe(ids.later);
  });
});
