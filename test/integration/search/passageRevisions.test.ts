/**
 * Passages belong to a revision and are replaced all at once: while a
 * document is updated, every search answer shows passages of one revision
 * only, and once the new revision is indexed never a passage of the old one
 * (by keyword, by meaning, or fused). Searches run without pause through the
 * update, uncached and through the API (cached).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { searchUncached, type SearchMode } from "@shared/app/search";
import { instantTimings } from "@shared/events/routing";
import { api, startTestStack, waitFor, type TestStack } from "../../helpers/stack";

let stack: TestStack;
beforeAll(async () => {
  // The embedding lags the index (as it does under load), so the two revisions overlap for a while.
  stack = await startTestStack({ routeOverrides: instantTimings({ embedding: { delaySeconds: 3 } }) });
});
afterAll(async () => {
  await stack?.dispose();
});

/** Ten paragraphs, each a passage, each with a marker word of the revision. */
function revisionText(marker: string): string {
  return Array.from({ length: 10 }, (_, i) => `Section ${i}\n\nThe archive keeps ledger ${marker}${i} among the catalog volumes, and readers ask for ledger ${marker}${i} by name.`).join("\n\n");
}

const MODES: SearchMode[] = ["keyword", "semantic", "hybrid"];

describe("passages of a revision", () => {
  it("are replaced atomically: no answer mixes revisions, none shows the old one after the index has the new", async () => {
    const created = await api<{ id: string }>(stack, "POST", "/resources", { content: revisionText("oldrev"), contentType: "text/markdown", title: "Ledgers" });
    const id = created.body.id;
    await waitFor(async () => (await api<{ upToDate: boolean }>(stack, "GET", `/resources/${id}/status`)).body.upToDate, 60_000);

    const seen: Array<{ mode: string; snippet: string; newIndexed: boolean }> = [];
    let stop = false;
    const indexedRevision = async () => Number((await stack.app.store.client.execute({ sql: "SELECT indexed_revision FROM resources WHERE id = ?", args: [id] })).rows[0]!.indexed_revision);
    const watcher = (async () => {
      while (!stop) {
        for (const mode of MODES) {
          // Read the index state first: a snippet read after it was current must be new.
          const newIndexed = (await indexedRevision()) >= 2;
          const uncached = await searchUncached(stack.app, { q: "ledger archive catalog", mode, limit: 5, offset: 0 });
          const cached = await api<{ results: Array<{ id: string; snippet: string }> }>(stack, "GET", `/search?mode=${mode}&limit=5&q=ledger%20archive%20catalog`);
          for (const hit of [...uncached.results, ...cached.body.results]) if (hit.id === id) seen.push({ mode, snippet: hit.snippet, newIndexed });
        }
        // The stored passages are of one revision at every moment.
        const revisions = await stack.app.store.client.execute({ sql: "SELECT DISTINCT content_revision FROM passages WHERE resource_id = ?", args: [id] });
        expect(revisions.rows.length).toBe(1);
      }
    })();

    const patched = await api(stack, "PATCH", `/resources/${id}`, { content: revisionText("newrev"), contentType: "text/markdown" });
    expect(patched.status).toBe(202);
    await waitFor(async () => (await api<{ upToDate: boolean }>(stack, "GET", `/resources/${id}/status`)).body.upToDate, 60_000);
    // A few more rounds with everything current.
    await new Promise((r) => setTimeout(r, 1_500));
    stop = true;
    await watcher;

    expect(seen.length).toBeGreaterThan(20);
    for (const s of seen) {
      const old = /oldrev/.test(s.snippet);
      const fresh = /newrev/.test(s.snippet);
      expect(old && fresh, `mixed revisions in one snippet: ${s.snippet}`).toBe(false);
      if (s.newIndexed) expect(old, `${s.mode} showed an old passage after the new revision was indexed: ${s.snippet}`).toBe(false);
    }
    // Both revisions were seen: the watcher did run across the update.
    expect(seen.some((s) => /oldrev/.test(s.snippet))).toBe(true);
    expect(seen.some((s) => /newrev/.test(s.snippet))).toBe(true);
    const passages = await stack.app.store.client.execute({ sql: "SELECT count(*) AS n, min(content_revision) AS r FROM passages WHERE resource_id = ?", args: [id] });
    expect(Number(passages.rows[0]!.r)).toBe(2);
    const vectors = await stack.app.store.client.execute({ sql: "SELECT DISTINCT content_revision AS r FROM passage_vectors WHERE resource_id = ?", args: [id] });
    expect(vectors.rows.map((r) => Number(r.r))).toEqual([2]);
  }, 120_000);
});
