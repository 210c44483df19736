/**
 * Tags (issue 18) against a real stack and the HTTP API: people create tags,
 * attach them by hand and filter search by them; the tag model learns from
 * those decisions and suggests the tag for a similar resource, with a
 * confidence; accepting it tags the resource (search follows at once), and
 * rejecting one is remembered and not suggested again. Training runs in the
 * tag-suggestions task, never in the request: POST /tags/suggestions answers
 * 202 at once, and many requests within the queue's delay make one run.
 */
import { and, eq, gt } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SUGGEST_THRESHOLD, type TagTrainingStatus } from "@shared/app/tags";
import { taskRuns } from "@shared/adapters/libsql/schema";
import { instantTimings } from "@shared/events/routing";
import { runJob } from "@shared/jobs/registry";
import { api, startTestStack, waitFor, type TestStack } from "../helpers/stack";

/** The tag-suggestions queue keeps a short delay, so requests made together meet in it (the debounce). */
const DEBOUNCE_SECONDS = 2;

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ routeOverrides: instantTimings({ "tag-suggestions": { delaySeconds: DEBOUNCE_SECONDS } }) });
});
afterAll(async () => {
  await stack?.dispose();
});

type Tags = { id: string; tags: Array<{ name: string; source: string }>; suggestions: Array<{ name: string; confidence: number }> };
type Search = { results: Array<{ id: string }>; total: number; facets?: { tag: Array<{ value: string; count: number }> } };

const BAKING = [
  "Sourdough bread needs a lively starter, flour, water and salt. Knead the dough, let it rise overnight and bake it in a hot oven until the crust is brown.",
  "Baking a sponge cake: whisk eggs and sugar, fold in the flour gently, and bake in a buttered tin. The oven must be preheated so the cake rises evenly.",
  "Croissant dough is laminated with butter: fold and roll the dough several times, chill it between folds, then shape, proof and bake the pastries until golden.",
  "Rye bread dough is sticky; a sourdough starter gives it flavour. Let the loaf proof in a basket, then bake it with steam so the crust forms slowly in the oven.",
];
const SAILING = [
  "Sailing upwind means trimming the mainsail and jib close-hauled; the boat heels, and the crew moves to the windward rail to keep the hull balanced.",
  "Reefing the mainsail reduces sail area when the wind rises. Ease the halyard, pull down the reef line, and keep the boat sailing on a safe course.",
  "Navigating a harbour entrance at night: read the lights of the buoys, keep the channel markers on the correct side, and watch the tide and the depth sounder.",
];

async function add(content: string, title: string): Promise<string> {
  const res = await api<{ id: string }>(stack, "POST", "/resources", { content, title, contentType: "text/plain" });
  expect(res.status).toBe(202);
  return res.body.id;
}

const status = async () => (await api<TagTrainingStatus>(stack, "GET", "/tags/suggestions")).body;
/** Waits until a finished training run covers request `n`. */
const trainedThrough = (n: number) => waitFor(async () => ((await status()).lastRun?.covers ?? 0) >= n && (await status()), 30_000);

const search = (q: string, extra = "") => api<Search>(stack, "GET", `/search?q=${encodeURIComponent(q)}&mode=keyword&limit=20${extra}`);

describe("tags", () => {
  let baking: string[];
  let sailing: string[];

  it("creates tags once per spelling and refuses bad names", async () => {
    const first = await api<{ id: string; name: string }>(stack, "POST", "/tags", { name: "Reading list" });
    expect(first.status).toBe(201);
    const again = await api<{ id: string; name: string }>(stack, "POST", "/tags", { name: "  reading   LIST " });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect((await api(stack, "POST", "/tags", { name: "   " })).status).toBe(400);
    expect((await api(stack, "POST", "/tags", { name: "x".repeat(61) })).status).toBe(400);
    expect((await api(stack, "PUT", "/resources/00000000-0000-7000-8000-000000000000/tags", { tags: ["a"] })).status).toBe(404);
  });

  it("attaches tags by hand and filters search by them", async () => {
    baking = await Promise.all(BAKING.map((t, i) => add(t, `Baking ${i}`)));
    sailing = await Promise.all(SAILING.map((t, i) => add(t, `Sailing ${i}`)));
    for (const id of [...baking, ...sailing]) await waitFor(async () => (await api<{ upToDate: boolean }>(stack, "GET", `/resources/${id}/status`)).body.upToDate, 60_000);

    // Cached before tagging: the filtered result must not be served stale after it.
    expect((await search("bake OR oven OR boat", "&tag=baking&facets=true")).body.total).toBe(0);
    for (const id of baking.slice(0, 2)) {
      const res = await api<Tags>(stack, "PUT", `/resources/${id}/tags`, { tags: ["Baking"] });
      expect(res.status).toBe(200);
      expect(res.body.tags).toEqual([{ name: "Baking", source: "manual" }]);
    }
    const filtered = await search("bake OR oven OR boat", "&tag=baking&facets=true");
    expect(filtered.body.results.map((r) => r.id).sort()).toEqual(baking.slice(0, 2).sort());
    expect(filtered.body.facets?.tag).toEqual([{ value: "Baking", count: 2 }]);
    const list = await api<{ items: Array<{ name: string; resources: number }> }>(stack, "GET", "/tags");
    expect(list.body.items.find((t) => t.name === "Baking")?.resources).toBe(2);
  });

  it("suggests the tag for similar resources from the user's examples, and accept/reject feed the next training", async () => {
    const summary = await runJob(stack.app, "classifier-retraining");
    expect(summary.tags).toMatchObject({ trained: 1 });
    // The job's run is recorded like the task's: it covers the requests made before it.
    const summaryCovers = (await status()).lastRun!.covers;
    expect((await status()).lastRun).toMatchObject({ trigger: "job", summary: summary.tags });
    const suggestionsFor = async (id: string) => (await api<Tags>(stack, "GET", `/resources/${id}/tags`)).body.suggestions;
    for (const id of baking.slice(2)) {
      const s = await suggestionsFor(id);
      expect(s.map((x) => x.name)).toEqual(["Baking"]);
      expect(s[0]!.confidence).toBeGreaterThanOrEqual(SUGGEST_THRESHOLD);
      expect(s[0]!.confidence).toBeLessThanOrEqual(1);
    }
    for (const id of sailing) expect(await suggestionsFor(id)).toEqual([]);

    // Accepting tags the resource: search by the tag finds it at once.
    const accepted = await api<Tags>(stack, "POST", `/resources/${baking[2]}/tags/Baking/accept`);
    expect(accepted.body.tags).toEqual([{ name: "Baking", source: "accepted" }]);
    expect(accepted.body.suggestions).toEqual([]);
    expect((await search("bake OR oven OR boat", "&tag=baking")).body.results.map((r) => r.id)).toContain(baking[2]);

    // Rejecting is remembered: the next training does not suggest it again, and the tag filter leaves it out.
    const rejected = await api<Tags>(stack, "POST", `/resources/${baking[3]}/tags/baking/reject`);
    expect(rejected.body.tags).toEqual([]);
    // Each verdict asked for a retraining; the task does it.
    const asked = await status();
    expect(asked.requested).toBeGreaterThan(summaryCovers);
    const after = await trainedThrough(asked.requested);
    expect(after.lastRun).toMatchObject({ trigger: "verdict", summary: { trained: 1 } });
    expect(await suggestionsFor(baking[3]!)).toEqual([]);
    expect((await search("bake OR oven OR boat", "&tag=baking")).body.results.map((r) => r.id)).not.toContain(baking[3]);

    expect((await api(stack, "POST", `/resources/${baking[3]}/tags/baking/maybe`)).status).toBe(400);
    expect((await api(stack, "POST", `/resources/${baking[3]}/tags/nosuchtag/accept`)).status).toBe(404);
  });

  it("retrains in the background: POST /tags/suggestions answers 202 at once, and requests made together make one run", async () => {
    await trainedThrough((await status()).requested);
    const since = new Date().toISOString();
    const asked: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await api<{ request: number; requestedAt: string; status: string }>(stack, "POST", "/tags/suggestions");
      expect(res.status).toBe(202);
      expect(res.body.status).toBe("/tags/suggestions");
      asked.push(res.body.request);
    }
    expect(asked[1]).toBe(asked[0]! + 1);
    expect(asked[2]).toBe(asked[0]! + 2);
    // Nothing trained yet: the requests wait in the queue's delay.
    const waiting = await status();
    expect(waiting).toMatchObject({ requested: asked[2], pending: true });
    expect(waiting.lastRun!.covers).toBeLessThan(asked[0]!);

    const done = await trainedThrough(asked[2]!);
    expect(done).toMatchObject({ pending: false, lastRun: { trigger: "api", summary: { trained: 1 } } });
    expect(done.lastRun!.startedAt >= since).toBe(true);
    const runs = () =>
      stack.app.store.db.select({ status: taskRuns.status, revision: taskRuns.revision }).from(taskRuns).where(and(eq(taskRuns.task, "tag-suggestions"), gt(taskRuns.startedAt, since)));
    await waitFor(async () => (await runs()).length === 3, 10_000);
    const ledger = await runs();
    expect(ledger.filter((r) => r.status === "succeeded")).toHaveLength(1);
    expect(ledger.filter((r) => r.status === "skipped")).toHaveLength(2);
    expect(ledger.map((r) => r.revision).sort()).toEqual(asked);
  }, 90_000);
});
