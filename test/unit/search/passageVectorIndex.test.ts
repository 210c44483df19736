/**
 * The in-memory passage vector index follows the store (real libSQL file):
 * it skips re-reading the ids when the count and the largest id are what it
 * holds, so every way the rows can change must still change what a scan sees.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Store } from "@shared/adapters/libsql/store";
import { nearestPassages } from "@shared/app/passageVectorIndex";
import { documentSimilarity } from "@shared/domain/ranking";

const MODEL = "test-model";
let dir: string;
let store: Store;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), "alexandria-vecindex-"));
  store = Store.open({ url: `file:${path.join(dir, "s.db")}` });
  await store.migrate();
});
afterAll(() => {
  store?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A 512-d unit vector along axis `axis`. */
function axisVector(axis: number): Float32Array {
  const v = new Float32Array(512);
  v[axis] = 1;
  return v;
}

async function insert(resourceId: string, axis: number, ordinal = 0): Promise<void> {
  const v = axisVector(axis);
  await store.client.execute({
    sql: "INSERT INTO passage_vectors (resource_id, model, ordinal, content_revision, text_hash, vector) VALUES (?, ?, ?, 1, 'h', ?)",
    args: [resourceId, MODEL, ordinal, new Uint8Array(v.buffer)],
  });
}

const nearest = async (axis: number) => (await nearestPassages(store, MODEL, Array.from(axisVector(axis)), 10, null)).filter((n) => n.score > 0.5).map((n) => n.id);

describe("passage vector index", () => {
  it("sees inserts, deletes, and a delete plus an insert that keep the count", async () => {
    await insert("a", 1);
    await insert("b", 2);
    expect(await nearest(1)).toEqual(["a"]);
    await insert("c", 3);
    expect(await nearest(3)).toEqual(["c"]);
    // Same count, same largest id would fool a count-only check: delete one row below the top.
    await store.client.execute({ sql: "DELETE FROM passage_vectors WHERE resource_id = 'a'", args: [] });
    expect(await nearest(1)).toEqual([]);
    // Delete the top row and add another: same count as before.
    await store.client.execute({ sql: "DELETE FROM passage_vectors WHERE resource_id = 'c'", args: [] });
    await insert("d", 3);
    expect(await nearest(3)).toEqual(["d"]);
    // Replace a row in place (delete + insert in one transaction, as the embedding task does).
    await store.client.batch(
      [
        { sql: "DELETE FROM passage_vectors WHERE resource_id = 'b'", args: [] },
        { sql: "INSERT INTO passage_vectors (resource_id, model, ordinal, content_revision, text_hash, vector) VALUES ('b', ?, 0, 2, 'h', ?)", args: [MODEL, new Uint8Array(axisVector(4).buffer)] },
      ],
      "write",
    );
    expect(await nearest(2)).toEqual([]);
    expect(await nearest(4)).toEqual(["b"]);
  });

  it("scores a resource as documentSimilarity does (mean of its best passages), showing its best passage", async () => {
    const unit = (c: number, axis: number) => {
      const v = new Float32Array(512);
      v[10] = c;
      v[axis] = Math.sqrt(1 - c * c);
      return v;
    };
    const rows: Array<[string, number, Float32Array]> = [
      ["one-hit", 0, unit(0.9, 20)],
      ["one-hit", 1, unit(0.1, 21)],
      ["one-hit", 2, unit(0.1, 22)],
      ["one-hit", 3, unit(0.1, 23)],
      ["about-it", 0, unit(0.6, 24)],
      ["about-it", 1, unit(0.7, 25)],
      ["about-it", 2, unit(0.7, 26)],
    ];
    for (const [id, ordinal, v] of rows) {
      await store.client.execute({
        sql: "INSERT INTO passage_vectors (resource_id, model, ordinal, content_revision, text_hash, vector) VALUES (?, 'mean-model', ?, 1, 'h', ?)",
        args: [id, ordinal, new Uint8Array(v.buffer)],
      });
    }
    const query = Array.from(axisVector(10));
    const found = await nearestPassages(store, "mean-model", query, 10, null);
    expect(found.map((n) => [n.id, n.ordinal])).toEqual([["about-it", 1], ["one-hit", 0]]);
    for (const id of ["one-hit", "about-it"]) {
      const expected = documentSimilarity(query, rows.filter((r) => r[0] === id).map((r) => r[2]));
      expect(found.find((n) => n.id === id)!.score).toBeCloseTo(expected, 6);
    }
  });
});
