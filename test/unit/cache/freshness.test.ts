import { describe, expect, it } from "vitest";
import { decodeStored, encodeStored, judge, newStamp, normalizeTags, parsePatternLogMember } from "@shared/cache/freshness";
import type { Snapshot } from "@shared/cache/freshness";

const snapshot = (stamps: Array<string | null>, sequence = 0): Snapshot => ({ stamps, sequence, tick: 1, sentAtMs: 0 });

describe("judge", () => {
  it("is fresh only when every stamp is unchanged", () => {
    expect(judge({ stamps: ["e", null, null, "t1"], sequence: 0 }, snapshot(["e", null, null, "t1"]))).toBe("fresh");
    expect(judge({ stamps: ["e", null, null, "t1"], sequence: 0 }, snapshot(["e", null, null, "t2"]))).toBe("stale");
    expect(judge({ stamps: ["e", null, null], sequence: 0 }, snapshot(["e", "type-bumped", null]))).toBe("stale");
  });

  it("never trusts an entry without stamps or when the epoch is missing or changed", () => {
    expect(judge({ stamps: null, sequence: 0 }, snapshot(["e"]))).toBe("stale");
    expect(judge({ stamps: [null], sequence: 0 }, snapshot([null]))).toBe("stale");
    expect(judge({ stamps: ["e1"], sequence: 0 }, snapshot(["e2"]))).toBe("stale");
  });

  it("asks for the pattern log when patterns were logged since the entry's snapshot", () => {
    expect(judge({ stamps: ["e"], sequence: 3 }, snapshot(["e"], 5))).toBe("check-pattern-log");
    // A sequence that went backwards means lost bookkeeping.
    expect(judge({ stamps: ["e"], sequence: 5 }, snapshot(["e"], 3))).toBe("stale");
  });
});

describe("stored entry encoding", () => {
  it("round-trips header and value", () => {
    const raw = encodeStored({ tags: ["a"], stamps: ["e", null], sequence: 4 }, JSON.stringify({ text: "line\nbreak" }));
    expect(decodeStored(raw)).toEqual({ meta: { tags: ["a"], stamps: ["e", null], sequence: 4 }, json: '{"text":"line\\nbreak"}' });
  });

  it("rejects garbage instead of throwing", () => {
    expect(decodeStored("not a cache entry")).toBeNull();
    expect(decodeStored("{bad json\n1")).toBeNull();
  });
});

describe("helpers", () => {
  it("draws distinct stamps", () => {
    expect(new Set(Array.from({ length: 1000 }, newStamp)).size).toBe(1000);
  });

  it("normalizes tags to a sorted set", () => {
    expect(normalizeTags(["b", "a", "b"])).toEqual(["a", "b"]);
    expect(normalizeTags(undefined)).toEqual([]);
  });

  it("parses pattern log members, patterns may contain the separator", () => {
    expect(parsePatternLogMember("12|1700000000000|search:a|b*")).toEqual({ sequence: 12, atMs: 1700000000000, pattern: "search:a|b*" });
    expect(parsePatternLogMember("junk")).toBeNull();
  });
});
