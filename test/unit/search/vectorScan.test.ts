/**
 * The two-pass vector scan (app/passageVectorIndex.ts `scan`: SIMD float32
 * dot products to find the candidates, float64 scores for them) must return
 * exactly what one exact pass returns: same resources, order, scores to the
 * last bit, best passages. The vectors are made to crowd: many resources
 * within the SIMD pass's error of each other, where the approximate order is
 * often wrong.
 */
import { describe, expect, it } from "vitest";
import { scan } from "@shared/app/passageVectorIndex";
import { VectorSlab } from "@shared/app/vectorSlab";
import { dotErrorBound, dotsOver, simdAvailable } from "@shared/util/simdDots";
import { exactScan, scanRow, type ScanRow } from "@test/helpers/exactVectorScan";
import { seededRandom } from "@test/helpers/seededRandom";

type Row = ScanRow & { rowId: number };

/** Resources whose passages all sit within ~1e-6 of one direction: their similarities crowd within the SIMD error. */
function crowdedRows(random: () => number, resources: number, perResource: number, dimensions: number, spread: number): Row[] {
  const base = Array.from({ length: dimensions }, () => random() - 0.5);
  const rows: Row[] = [];
  let rowId = 1;
  for (let r = 0; r < resources; r++) {
    for (let p = 0; p < perResource; p++) {
      const vector = Float32Array.from(base, (x) => x + spread * (random() - 0.5));
      rows.push({ rowId: rowId++, ...scanRow(`r${String(r).padStart(4, "0")}`, p, 1 + (p % 3), vector) });
    }
  }
  return rows;
}

function slabOf(rows: readonly Row[], dimensions: number, forceJs = false): VectorSlab {
  const slab = new VectorSlab(dimensions, { forceJs });
  for (const row of rows) slab.add(row);
  return slab;
}

describe("two-pass vector scan", () => {
  it("runs the SIMD module here", () => {
    expect(simdAvailable()).toBe(true);
  });

  it("approximate dot products stay within dotErrorBound of the exact ones", () => {
    const random = seededRandom(7);
    const dimensions = 512;
    const memory = new WebAssembly.Memory({ initial: 2 });
    const floats = new Float32Array(memory.buffer);
    // Large terms that cancel: the worst case for float32 sums.
    for (let i = 0; i < dimensions * 9; i++) floats[i] = (random() - 0.5) * (i % 7 === 0 ? 1000 : 1);
    dotsOver(memory)(0, 4 * dimensions, 8, 4 * dimensions, 4 * dimensions * 9);
    for (let r = 0; r < 8; r++) {
      let exact = 0;
      let magnitude = 0;
      for (let i = 0; i < dimensions; i++) {
        exact += floats[i]! * floats[dimensions * (r + 1) + i]!;
        magnitude += Math.abs(floats[i]! * floats[dimensions * (r + 1) + i]!);
      }
      const approximate = floats[dimensions * 9 + r]!;
      expect(Math.abs(approximate - exact)).toBeLessThanOrEqual(dotErrorBound(dimensions) * magnitude);
      expect(approximate).not.toBe(exact); // float32 sums: the bound is what makes the exact pass necessary
    }
  });

  for (const forceJs of [false, true]) {
    it(`returns what one exact pass returns, to the last bit (${forceJs ? "JavaScript fallback" : "SIMD"})`, () => {
      const random = seededRandom(16);
      for (const [resources, perResource, dimensions, spread] of [
        [300, 5, 512, 1e-5],
        [200, 3, 100, 1e-6],
        [50, 1, 7, 1e-4],
      ] as const) {
        const rows = crowdedRows(random, resources, perResource, dimensions, spread);
        const slab = slabOf(rows, dimensions, forceJs);
        for (let t = 0; t < 5; t++) {
          const query = Array.from({ length: dimensions }, () => random() - 0.5);
          for (const k of [1, 10, 100, resources + 5]) expect(scan(slab, query, k, null)).toEqual(exactScan(rows, query, k, null));
          const allowed = new Set(rows.filter(() => random() < 0.3).map((r) => r.resourceId));
          expect(scan(slab, query, 20, allowed)).toEqual(exactScan(rows, query, 20, allowed));
        }
      }
    });
  }

  it("reuses the slots of removed rows without changing any result", () => {
    const random = seededRandom(3);
    const rows = crowdedRows(random, 100, 4, 64, 1e-5);
    const slab = new VectorSlab(64);
    const slots = new Map<number, number>();
    for (const row of rows) slots.set(row.rowId, slab.add(row));
    // Drop every third row, then add new rows for new resources (they take the freed slots).
    const kept = rows.filter((row) => {
      if (row.rowId % 3 !== 0) return true;
      slab.remove(slots.get(row.rowId)!);
      return false;
    });
    const added = crowdedRows(random, 120, 1, 64, 1e-5).map((row) => ({ ...row, rowId: row.rowId + 10_000, resourceId: `new-${row.resourceId}` }));
    for (const row of added) slab.add(row);
    expect(slab.slots).toBe(rows.length); // 133 slots freed, 120 rows added: no new slot
    const query = Array.from({ length: 64 }, () => random() - 0.5);
    expect(scan(slab, query, 50, null)).toEqual(exactScan([...kept, ...added], query, 50, null));
  });

  it("scores nothing for a query of another length", () => {
    const slab = slabOf(crowdedRows(seededRandom(1), 3, 1, 16, 0.1), 16);
    expect(scan(slab, new Array(8).fill(0.5), 10, null)).toEqual([]);
  });
});
