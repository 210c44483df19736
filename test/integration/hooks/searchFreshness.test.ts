/**
 * Hooks table, row 3 (requirement 3.3, 13.4): after a content update is
 * answered, the new text is found by keyword search within 5 s (aim: p99 ≤
 * 1.5 s). The search-index route keeps its real 1 s delay; every other route
 * is instant so nothing else is in the way.
 *
 * Figures: `npx vitest run test/integration/hooks/searchFreshness.test.ts`
 * prints p50/p95/p99/max over the updates.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestStack, waitFor, type TestStack } from "../../helpers/stack";
import { instantTimings, routeFor, routes } from "@shared/events/routing";

const UPDATES = 20;
const REQUIREMENT_MS = 5_000;

interface Hits {
  results: Array<{ id: string }>;
}

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ routeOverrides: instantTimings({ "search-index": { delaySeconds: routeFor("search-index", routes).delaySeconds } }) });
});
afterAll(async () => {
  await stack?.dispose();
});

function percentile(sorted: readonly number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

async function found(token: string, id: string): Promise<boolean> {
  const res = await api<Hits>(stack, "GET", `/search?mode=keyword&limit=5&q=${token}`);
  return res.status === 200 && res.body.results.some((r) => r.id === id);
}

describe("search index freshness", () => {
  it(`finds updated text within ${REQUIREMENT_MS} ms of the update's answer (${UPDATES} updates, 1 s index delay)`, async () => {
    expect(routeFor("search-index", stack.routes).delaySeconds).toBe(1);
    const created = await api<{ id: string }>(stack, "POST", "/resources", { content: "Freshness subject. Nothing to see yet.", contentType: "text/plain", title: "Freshness" });
    expect(created.status).toBe(202);
    const id = created.body.id;
    await waitFor(async () => (await api<{ upToDate: boolean }>(stack, "GET", `/resources/${id}/status`)).body.upToDate, 30_000);

    const latencies: number[] = [];
    let previous: string | undefined;
    for (let i = 0; i < UPDATES; i++) {
      const token = `fresh${i}q${Math.random().toString(36).slice(2, 10)}`;
      const res = await api(stack, "PATCH", `/resources/${id}`, { content: `Update number ${i} carries the word ${token} and nothing else of note.`, contentType: "text/plain" });
      expect(res.status).toBe(202);
      const answeredAt = performance.now();
      await waitFor(() => found(token, id), REQUIREMENT_MS + 5_000, 25);
      latencies.push(performance.now() - answeredAt);
      // The old text is gone from the index once the new one is in.
      if (previous) expect(await found(previous, id)).toBe(false);
      previous = token;
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    const fig = { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99), max: sorted[sorted.length - 1]! };
    console.log(
      `[freshness] ${UPDATES} updates, search-index delay 1 s: p50 ${fig.p50.toFixed(0)} ms, p95 ${fig.p95.toFixed(0)} ms, p99 ${fig.p99.toFixed(0)} ms, max ${fig.max.toFixed(0)} ms`,
    );
    expect(fig.p99).toBeLessThan(REQUIREMENT_MS);
    // The index waits for its delay: nothing is found before it.
    expect(fig.p50).toBeGreaterThanOrEqual(500);
  });
});
