/**
 * Hooks that follow users and authors, end to end over HTTP with real queues:
 * every 10th interaction refreshes the profile (25 → exactly 2 refreshes),
 * recommendations exclude what was seen, author variants across resources are
 * linked to one canonical author, and a batch reports its progress.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestStack, waitFor, type TestStack } from "../helpers/stack";

let stack: TestStack;
const ids: string[] = [];

const files = [
  "node_modules/zod/README.md",
  "node_modules/ioredis/README.md",
  "node_modules/croner/README.md",
  "node_modules/lru-cache/README.md",
  "node_modules/fast-check/README.md",
  "node_modules/drizzle-orm/README.md",
];

beforeAll(async () => {
  stack = await startTestStack();
  const batch = await api<{ batchId: string; items: Array<{ id: string }> }>(stack, "POST", "/resources/batch", {
    items: files.map((f, i) => ({
      content: readFileSync(f, "utf8"),
      contentType: "text/markdown",
      // Variants of one person on the first three, a different person with the same family name on the fourth (a different initial, so the outcome does not depend on the order tasks run in).
      authors: [["Smith, John"], ["J. Smith"], ["SMITH J", "Knuth, Donald E."], ["Peter Smith"], ["D. E. Knuth"], ["John Smith"]][i],
    })),
  });
  expect(batch.status).toBe(202);
  ids.push(...batch.body.items.map((i) => i.id));
  await waitFor(async () => {
    const p = await api<{ complete: boolean; done: number }>(stack, "GET", `/batches/${batch.body.batchId}`);
    return p.body.complete && p.body.done === files.length;
  }, 60_000);
});
afterAll(async () => {
  await stack?.dispose();
});

async function ledger(task: string, subject: string, status = "succeeded"): Promise<number> {
  const rs = await stack.app.store.client.execute({ sql: "SELECT count(*) AS n FROM task_runs WHERE task = ? AND resource_id = ? AND status = ?", args: [task, subject, status] });
  return Number(rs.rows[0]!.n);
}

describe("user interactions", () => {
  it("refreshes the profile on every 10th interaction: 25 interactions → exactly 2 refreshes", async () => {
    const user = `u-${Date.now()}`;
    for (let i = 0; i < 25; i++) {
      const res = await api<{ interactionCount: number; profileRefreshDue: boolean }>(stack, "POST", "/interactions", { userId: user, resourceId: ids[i % 2]!, type: i % 5 === 0 ? "bookmark" : "view" });
      expect(res.status).toBe(201);
      expect(res.body.profileRefreshDue).toBe((i + 1) % 10 === 0);
    }
    await waitFor(async () => (await ledger("profile-refresh", user)) >= 2);
    // Nothing more arrives later: give stragglers a moment, then count again.
    await new Promise((r) => setTimeout(r, 1500));
    expect(await ledger("profile-refresh", user)).toBe(2);
    const profile = await stack.app.store.client.execute({ sql: "SELECT refresh_count, top_resource_ids FROM user_profiles WHERE user_id = ?", args: [user] });
    expect(Number(profile.rows[0]!.refresh_count)).toBe(2);
    expect(JSON.parse(String(profile.rows[0]!.top_resource_ids))).toEqual(expect.arrayContaining([ids[0], ids[1]]));
  });

  it("recommends unseen resources only, most similar first", async () => {
    const user = `r-${Date.now()}`;
    for (let i = 0; i < 10; i++) await api(stack, "POST", "/interactions", { userId: user, resourceId: ids[0]!, type: "like" });
    await waitFor(async () => (await ledger("profile-refresh", user)) === 1);
    const rec = await api<{ items: Array<{ id: string; score: number }>; profile: { source: string } }>(stack, "GET", `/users/${user}/recommendations?limit=5`);
    expect(rec.status).toBe(200);
    expect(rec.body.profile.source).toBe("stored");
    expect(rec.body.items.length).toBeGreaterThan(0);
    expect(rec.body.items.map((i) => i.id)).not.toContain(ids[0]);
    const scores = rec.body.items.map((i) => i.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    // Seeing a recommended item removes it at once.
    const first = rec.body.items[0]!.id;
    await api(stack, "POST", "/interactions", { userId: user, resourceId: first, type: "view" });
    const again = await api<{ items: Array<{ id: string }> }>(stack, "GET", `/users/${user}/recommendations?limit=5`);
    expect(again.body.items.map((i) => i.id)).not.toContain(first);
  });

  it("rejects interactions with unknown resources or bad input", async () => {
    expect((await api(stack, "POST", "/interactions", { userId: "u", resourceId: "nope", type: "view" })).status).toBe(404);
    expect((await api(stack, "POST", "/interactions", { userId: "u", resourceId: ids[0], type: "teleport" })).status).toBe(400);
    expect((await api(stack, "GET", "/users/nobody-here/recommendations")).status).toBe(404);
  });
});

describe("author normalization", () => {
  it("links name variants of one person to one canonical author and keeps namesakes apart", async () => {
    await waitFor(async () => {
      const rs = await stack.app.store.client.execute("SELECT count(*) AS n FROM resources WHERE authors_revision < metadata_revision AND authors != '[]'");
      return Number(rs.rows[0]!.n) === 0;
    });
    const rows = await stack.app.store.client.execute(
      "SELECT ra.raw_name AS raw, a.id AS author, a.canonical_name AS canonical FROM resource_authors ra JOIN authors a ON a.id = ra.author_id",
    );
    const byRaw = new Map(rows.rows.map((r) => [String(r.raw), { author: String(r.author), canonical: String(r.canonical) }]));
    const john = byRaw.get("Smith, John")!.author;
    for (const v of ["J. Smith", "SMITH J", "John Smith"]) expect(byRaw.get(v)?.author, v).toBe(john);
    expect(byRaw.get("Peter Smith")!.author).not.toBe(john);
    expect(byRaw.get("D. E. Knuth")!.author).toBe(byRaw.get("Knuth, Donald E.")!.author);
  });
});
