/** The reconciler's rules, without a store: what is stale, and when stale counts as lost. */
import { describe, expect, it } from "vitest";
import { routes } from "@shared/events/routing";
import { graceByDatum, graceMsForRoute, laggingData, staleData, type LagRow } from "@shared/jobs/reconciler";

const T0 = Date.parse("2025-03-01T12:00:00.000Z");

function row(patch: Partial<LagRow> = {}): LagRow {
  const current = { revision: 3, contentRevision: 2, metadataRevision: 2 };
  return {
    id: "r1",
    ingestionStatus: "completed",
    ...current,
    embeddedRevision: 2,
    embeddedModel: "m1",
    indexedRevision: 3,
    qualityRevision: 3,
    classifiedRevision: 2,
    graphRevision: 2,
    authorsRevision: 2,
    authors: ["Ada Lovelace"],
    updatedAt: new Date(T0).toISOString(),
    ...patch,
  };
}

describe("staleData", () => {
  it("finds nothing on a current resource", () => {
    expect(staleData(row())).toEqual([]);
  });

  it("names exactly the data behind their revision", () => {
    expect(staleData(row({ embeddedRevision: 1 }))).toEqual(["embedding"]);
    expect(staleData(row({ indexedRevision: 2, qualityRevision: 2 }))).toEqual(["searchIndex", "quality"]);
    expect(staleData(row({ classifiedRevision: 1, graphRevision: 1 }))).toEqual(["classification", "graph"]);
    expect(staleData(row({ authorsRevision: 1 }))).toEqual(["authors"]);
  });

  it("ignores author normalisation when there are no authors", () => {
    expect(staleData(row({ authorsRevision: 0, authors: [] }))).toEqual([]);
  });

  it("re-requests ingestion for pending or processing resources, and nothing else", () => {
    expect(staleData(row({ ingestionStatus: "pending", embeddedRevision: 0 }))).toEqual(["ingestion"]);
    expect(staleData(row({ ingestionStatus: "processing" }))).toEqual(["ingestion"]);
  });

  it("leaves failed ingestion alone: that is for the dead-letter queue", () => {
    expect(staleData(row({ ingestionStatus: "failed", embeddedRevision: 0 }))).toEqual([]);
  });
});

describe("grace", () => {
  it("is twice the route's delay and batch window plus a minute", () => {
    expect(graceMsForRoute({ delaySeconds: 5, batchWindowSeconds: 0 })).toBe(70_000);
    expect(graceMsForRoute({ delaySeconds: 0, batchWindowSeconds: 30 })).toBe(120_000);
    const g = graceByDatum(routes);
    expect(g.embedding).toBe(70_000);
    expect(g.searchIndex).toBe(62_000);
    expect(g.quality).toBe(80_000);
    expect(g.classification).toBe(100_000);
    expect(g.graph).toBe(120_000);
    expect(g.authors).toBe(180_000);
    expect(Object.values(graceByDatum(routes, 5)).every((v) => v === 5)).toBe(true);
  });

  it("keeps a datum out until its own grace has passed", () => {
    const g = graceByDatum(routes);
    const stale = row({ embeddedRevision: 1, authorsRevision: 1 });
    expect(laggingData(stale, T0 + 69_000, g)).toEqual([]);
    expect(laggingData(stale, T0 + 70_000, g)).toEqual(["embedding"]);
    expect(laggingData(stale, T0 + 180_000, g)).toEqual(["embedding", "authors"]);
  });
});
