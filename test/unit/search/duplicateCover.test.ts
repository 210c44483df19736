/**
 * Search leaves near-duplicates out by reading `duplicate_of`, the last
 * column of a resource row, after the page's text: SQLite must not read the
 * row for it (its overflow pages), only an index (migration 0027 for the
 * keyword join, resources_duplicate_idx for the list of duplicates).
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { Store } from "@shared/adapters/libsql/store";

let dir: string;
let store: Store;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "alexandria-dupcover-"));
  store = Store.open({ url: `file:${path.join(dir, "s.db")}` });
  await store.migrate();
});
afterAll(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const plan = async (sql: string) => (await store.client.execute(`EXPLAIN QUERY PLAN ${sql}`)).rows.map((r) => String(r.detail)).join("; ");

it("the keyword ranking's duplicate check reads an index, not the resource rows", async () => {
  // The join of searchKeyword.ts keywordRanking with filterCondition() of no filter.
  expect(await plan("SELECT f.resource_id FROM resources_fts f JOIN resources r ON r.id = f.resource_id WHERE resources_fts MATCH 'column' AND r.duplicate_of IS NULL")).toMatch(
    /SEARCH r USING COVERING INDEX resources_id_duplicate_idx/,
  );
});

it("the list of duplicates is read from their index", async () => {
  // searchFilters.ts duplicateIds
  expect(await plan("SELECT id FROM resources INDEXED BY resources_duplicate_idx WHERE duplicate_of IS NOT NULL")).toMatch(/USING INDEX resources_duplicate_idx/);
});
