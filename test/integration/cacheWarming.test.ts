/**
 * Cache warming (requirement 7.5): popularity is counted on the read paths and
 * warming loads exactly what those reads would cache, so the next read is a hit.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestStack, waitFor, type TestStack } from "../helpers/stack";

let stack: TestStack;
let id = "";
beforeAll(async () => {
  stack = await startTestStack();
  const res = await api<{ id: string }>(stack, "POST", "/resources", { content: "# Warm caches\n\nPrecomputed answers for popular library questions about papyrus scrolls.", contentType: "text/markdown" });
  id = res.body.id;
  await waitFor(async () => (await api<{ upToDate: boolean }>(stack, "GET", `/resources/${id}/status`)).body.upToDate);
});
afterAll(async () => {
  await stack?.dispose();
});

describe("cache warming", () => {
  it("warms the most read resources and most frequent queries, so the next reads hit", async () => {
    for (let i = 0; i < 3; i++) await api(stack, "GET", `/resources/${id}`);
    for (let i = 0; i < 2; i++) await api(stack, "GET", "/search?mode=keyword&q=papyrus%20scrolls");
    await stack.app.popularity!.flush();
    // Everything cached so far becomes unreadable, as after a deploy or an eviction.
    await stack.app.cache.invalidate({ patterns: ["resource:*", "search:*"] });

    const warmed = await api<{ resources: number; queries: number; failed: number }>(stack, "POST", "/monitoring/cache/warm", {});
    expect(warmed.status).toBe(200);
    expect(warmed.body).toMatchObject({ resources: 1, queries: 1, failed: 0 });

    const before = await stack.app.cache.stats();
    await api(stack, "GET", `/resources/${id}`);
    await api(stack, "GET", "/search?mode=keyword&q=papyrus%20scrolls");
    const after = await stack.app.cache.stats();
    expect((after.byType.resource?.hits ?? 0) - (before.byType.resource?.hits ?? 0)).toBe(1);
    expect((after.byType.search?.hits ?? 0) - (before.byType.search?.hits ?? 0)).toBe(1);
  });
});
