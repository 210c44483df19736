import { describe, expect, it } from "vitest";
import { affects, isExpired, parseRecord, pendingPrefix, pendingRecord, recordedRecord } from "@shared/cache/results/records";
import type { ResultDependency } from "@shared/ports/resultRegistry";

const q = [1, 0, 0, 0];
/** A unit vector whose cosine with q is `c`. */
const at = (c: number) => [c, Math.sqrt(1 - c * c), 0, 0];

const candidates = [
  { id: "a", score: 0.9 },
  { id: "b", score: 0.7 },
  { id: "c", score: 0.5 },
];
const shown = (id: string, via: "keyword" | "vector" = "keyword") => ({ id, via, digest: `d-${id}` });
const semantic: ResultDependency = { shown: [shown("a", "vector"), shown("b", "vector")], vector: { query: q, candidates, wanted: 3 } };
/** Fused with keyword ranking x 10, a 5 (weight 0.6): a 0.3 + 0.4, x 0.6, b 0.4 × 0.7/0.9, c 0.4 × 0.5/0.9; the page shows the first `limit`. */
const hybridPage = (limit: number): ResultDependency => ({
  shown: [shown("a"), shown("x", "vector")],
  vector: { query: q, candidates, wanted: 3, fusedWith: { keyword: [{ id: "x", score: 10 }, { id: "a", score: 5 }], offset: 0, limit, keywordTotal: 2 } },
});
const hybrid = hybridPage(2);
const keyword: ResultDependency = { shown: [shown("a"), shown("b")] };
const record = (d: ResultDependency) => parseRecord(recordedRecord("t", 1, d));

describe("result registry records", () => {
  it("round-trip reservations and recorded dependencies", () => {
    expect(parseRecord(pendingRecord("tok", 123))).toEqual({ token: "tok", atMs: 123 });
    const parsed = parseRecord(recordedRecord("tok", 456, semantic));
    expect(parsed?.token).toBe("tok");
    expect(parsed?.atMs).toBe(456);
    expect(parsed?.dependency?.shown).toEqual(semantic.shown);
    expect(parsed?.dependency?.vector?.candidates).toEqual(candidates);
    expect(parsed?.dependency?.vector?.wanted).toBe(3);
    expect(parsed?.dependency?.vector?.fusedWith).toBeUndefined();
    expect(record(hybrid)?.dependency?.vector?.fusedWith).toEqual({ keyword: [{ id: "x", score: 10 }, { id: "a", score: 5 }], offset: 0, limit: 2, keywordTotal: 2 });
    expect(Array.from(parsed?.dependency?.vector?.query ?? [])).toEqual(q);
    expect(record(keyword)?.dependency).toEqual({ shown: keyword.shown });
    expect(pendingRecord("tok", 1).startsWith(pendingPrefix("tok"))).toBe(true);
    expect(pendingRecord("tok2", 1).startsWith(pendingPrefix("tok"))).toBe(false);
  });

  it("treat unreadable records as affected and expired", () => {
    for (const raw of ["", "x|y|1", "r|t|1|{not json", 'r|t|1|{"s":3}', 'r|t|1|{"s":[["a","q","d"]]}', 'r|t|1|{"s":[],"v":"AAAA","c":[["a","high"]],"w":1}', "p|t|1|extra"]) {
      const parsed = parseRecord(raw);
      expect(parsed).toBeNull();
      expect(affects(parsed, { resourceId: "z" })).toBe(true);
      expect(isExpired(parsed, 0, 1000)).toBe(true);
    }
  });

  it("a reservation is affected by every change", () => {
    expect(affects(parseRecord(pendingRecord("t", 1)), { resourceId: "anything" })).toBe(true);
    expect(affects(parseRecord(pendingRecord("t", 1)), { resourceId: "anything", vectors: [q] })).toBe(true);
  });

  it("a text change affects exactly the results showing the resource, unless it is shown the same", () => {
    for (const d of [semantic, hybrid, keyword]) {
      for (const id of ["a", "b", "c", "x", "z"]) expect(affects(record(d), { resourceId: id })).toEqual(d.shown.find((s) => s.id === id) ?? false);
    }
  });

  it("a new vector never affects a keyword result", () => {
    expect(affects(record(keyword), { resourceId: "a", vectors: [at(0.99)] })).toBe(false);
  });

  it("semantic results: a new vector affects listed resources (their similarity is shown) and newcomers that reach the last candidate", () => {
    expect(affects(record(semantic), { resourceId: "c", vectors: [at(0.5)] })).toBe(true); // listed, same score: still shown
    expect(affects(record(semantic), { resourceId: "z", vectors: [at(0.6)] })).toBe(true); // enters
    expect(affects(record(semantic), { resourceId: "z", vectors: [at(0.5)] })).toBe(true); // ties the last: may enter
    expect(affects(record(semantic), { resourceId: "z", vectors: [at(0.4)] })).toBe(false);
  });

  it("hybrid results: a new vector affects them only if the fused page or total changes", () => {
    expect(affects(record(hybrid), { resourceId: "a", vectors: [at(0.85)] })).toBe(false); // still first
    expect(affects(record(hybrid), { resourceId: "b", vectors: [at(0.6)] })).toBe(false); // still second, above the last
    expect(affects(record(hybrid), { resourceId: "b", vectors: [at(0.95)] })).toBe(true); // overtakes a: a's fused score drops
    expect(affects(record(hybrid), { resourceId: "a", vectors: [at(0.69)] })).toBe(true); // falls behind b
    expect(affects(record(hybrid), { resourceId: "a", vectors: [at(0.70001)] })).toBe(true); // within the margin of b: order unknown
    expect(affects(record(hybrid), { resourceId: "c", vectors: [at(0.55)] })).toBe(false); // the last rises, stays last
    expect(affects(record(hybrid), { resourceId: "c", vectors: [at(0.45)] })).toBe(true); // the last falls: an outsider may pass it
    expect(affects(record(hybridPage(1)), { resourceId: "c", vectors: [at(0.8)] })).toBe(false); // b and c swap below a one-result page
    expect(affects(record(hybridPage(4)), { resourceId: "c", vectors: [at(0.8)] })).toBe(true); // ...but not below a page showing them
    expect(affects(record(hybrid), { resourceId: "z", vectors: [at(0.6)] })).toBe(false); // enters in place of c, which the page does not show
    expect(affects(record(hybridPage(4)), { resourceId: "z", vectors: [at(0.6)] })).toBe(true); // a page that shows c changes
    expect(affects(record(hybrid), { resourceId: "z", vectors: [at(0.3)] })).toBe(false);
  });

  it("with fewer candidates than wanted, any new vector enters", () => {
    const few: ResultDependency = { shown: [], vector: { query: q, candidates, wanted: 10 } };
    expect(affects(record(few), { resourceId: "z", vectors: [at(0)] })).toBe(true);
    const fewFused: ResultDependency = { shown: [], vector: { query: q, candidates, wanted: 10, fusedWith: { keyword: [], offset: 0, limit: 10, keywordTotal: 0 } } };
    expect(affects(record(fewFused), { resourceId: "z", vectors: [at(0)] })).toBe(true); // joins the total
    expect(affects(record(fewFused), { resourceId: "c", vectors: [at(0.5)] })).toBe(false); // unchanged, and nobody is outside
    expect(affects(record(fewFused), { resourceId: "c", vectors: [at(0.2)] })).toBe(true); // stays last, but its fused score is shown
  });

  it("vectors without a direction or of another size are affected", () => {
    expect(affects(record(hybrid), { resourceId: "z", vectors: [[0, 0, 0, 0]] })).toBe(true);
    expect(affects(record(hybrid), { resourceId: "z", vectors: [[1, 0]] })).toBe(true);
  });

  it("expire by age", () => {
    const parsed = parseRecord(pendingRecord("t", 1_000));
    expect(isExpired(parsed, 1_500, 1_000)).toBe(false);
    expect(isExpired(parsed, 2_001, 1_000)).toBe(true);
  });
});
