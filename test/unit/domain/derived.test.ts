/** The derived-data table's rules without a store: what is behind, and each stage's state. */
import { describe, expect, it } from "vitest";
import { behindData, behindSql, DERIVED_NAMES, stagesOf, type FreshnessRow } from "@shared/domain/derived";

function row(patch: Partial<FreshnessRow> = {}): FreshnessRow {
  return {
    ingestionStatus: "completed",
    authors: ["Ada Lovelace"],
    revision: 3,
    contentRevision: 2,
    metadataRevision: 2,
    embeddedRevision: 2,
    indexedRevision: 3,
    qualityRevision: 3,
    classifiedRevision: 2,
    graphRevision: 2,
    authorsRevision: 2,
    ...patch,
  };
}

const stateOf = (r: FreshnessRow, failed: ReadonlySet<never> | Set<"quality"> = new Set()) => Object.fromEntries(stagesOf(r, failed).map((s) => [s.stage, s.state]));

describe("derived-data table", () => {
  it("a current resource has nothing behind and every stage done", () => {
    expect(behindData(row())).toEqual([]);
    expect(Object.values(stateOf(row()))).toEqual(Array(DERIVED_NAMES.length + 1).fill("done"));
  });

  it("a kind that does not apply (no authors) is never behind", () => {
    expect(behindData(row({ authorsRevision: 0 }))).toEqual(["authors"]);
    expect(behindData(row({ authorsRevision: 0, authors: [] }))).toEqual([]);
  });

  it("stages: superseded output, never computed, given up, failed ingestion", () => {
    const states = stateOf(row({ revision: 4, indexedRevision: 3, qualityRevision: 0 }));
    expect(states.searchIndex).toBe("superseded");
    expect(states.quality).toBe("pending");
    expect(stateOf(row({ revision: 4 }), new Set(["quality"])).quality).toBe("failed");
    const failed = stateOf(row({ ingestionStatus: "failed", contentRevision: 3, revision: 4 }));
    expect(failed.ingestion).toBe("failed");
    expect(failed.embedding).toBe("failed");
  });

  it("stages report what they were computed from and what is current", () => {
    const index = stagesOf(row({ revision: 4 })).find((s) => s.stage === "searchIndex");
    expect(index).toEqual({ stage: "searchIndex", task: "search-index", state: "superseded", computedFrom: 3, current: 4 });
  });

  it("the SQL form names the same columns", () => {
    expect(behindSql("authors", (f) => f)).toBe("(authorsRevision < metadataRevision AND authors != '[]')");
    expect(behindSql("embedding", (f) => f)).toBe("(embeddedRevision < contentRevision)");
  });
});
