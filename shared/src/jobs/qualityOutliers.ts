/**
 * Quality outlier detection (requirement 6.2, Sundays 03:00 UTC).
 *
 * For each quality dimension, the median and MAD over all scored resources
 * give every resource a modified z-score (shared/src/domain/stats.ts); a
 * resource with |z| > 3.5 on any dimension is flagged for review
 * (`quality_flags`, kind `outlier`) and announced as `quality.outlier_detected`.
 * Median and MAD rather than mean and standard deviation because the outliers
 * we look for would inflate the standard deviation and hide themselves.
 */
import { and, eq, inArray } from "drizzle-orm";
import { qualityFlags, resources } from "../adapters/libsql/schema";
import { writeWithEvents } from "../app/unitOfWork";
import { QUALITY_DIMENSIONS } from "../domain/quality";
import { OUTLIER_Z_THRESHOLD, robustSummary, robustZScore, type RobustSummary } from "../domain/stats";
import { newId } from "../util/ids";
import type { JobDefinition } from "./types";

export interface OutlierOptions {
  /** |modified z| above this flags a dimension (Iglewicz & Hoaglin: 3.5). */
  threshold?: number;
  /** Below this many scored resources a dimension is not judged: a median of five says little. */
  minSample?: number;
}

export const DEFAULT_OUTLIER_MIN_SAMPLE = 10;

export interface DimensionDeviation {
  dimension: string;
  value: number;
  /** Finite z, or "Infinity"/"-Infinity" when every other resource has the same value (JSON has no ∞). */
  z: number | string;
  median: number;
  scale: number;
}

export interface OutlierInput {
  id: string;
  dimensions: Record<string, number> | null;
}

export interface OutlierResult {
  outliers: Map<string, DimensionDeviation[]>;
  summaries: Record<string, RobustSummary>;
  /** Dimensions skipped for lack of data. */
  skipped: string[];
}

/** Pure: which resources deviate on which dimensions. */
export function findQualityOutliers(rows: readonly OutlierInput[], options: OutlierOptions = {}): OutlierResult {
  const threshold = options.threshold ?? OUTLIER_Z_THRESHOLD;
  const minSample = options.minSample ?? DEFAULT_OUTLIER_MIN_SAMPLE;
  const outliers = new Map<string, DimensionDeviation[]>();
  const summaries: Record<string, RobustSummary> = {};
  const skipped: string[] = [];
  for (const dimension of QUALITY_DIMENSIONS) {
    const scored = rows.flatMap((r) => {
      const v = r.dimensions?.[dimension];
      return typeof v === "number" && Number.isFinite(v) ? [{ id: r.id, value: v }] : [];
    });
    if (scored.length < minSample) {
      skipped.push(dimension);
      continue;
    }
    const summary = robustSummary(scored.map((s) => s.value));
    summaries[dimension] = summary;
    for (const { id, value } of scored) {
      const z = robustZScore(value, summary);
      if (!(Math.abs(z) > threshold)) continue;
      const list = outliers.get(id) ?? [];
      list.push({ dimension, value, z: Number.isFinite(z) ? Math.round(z * 1000) / 1000 : String(z), median: summary.median, scale: round(summary.scale) });
      outliers.set(id, list);
    }
  }
  return { outliers, summaries, skipped };
}

export function createQualityOutliersJob(options: OutlierOptions = {}): JobDefinition {
  return {
    name: "quality-outliers",
    async run(app) {
      const rows = await app.store.db
        .select({ id: resources.id, dimensions: resources.qualityDimensions })
        .from(resources)
        .where(eq(resources.ingestionStatus, "completed"));
      const { outliers, summaries, skipped } = findQualityOutliers(rows, options);
      const now = new Date().toISOString();

      const counts = await writeWithEvents(app, `job:quality-outliers:${newId()}`, async (tx, emit) => {
        const existing = await tx.select().from(qualityFlags).where(eq(qualityFlags.kind, "outlier"));
        const before = new Map(existing.map((f) => [f.resourceId, dimensionsOf(f.details)]));
        let added = 0;
        let changed = 0;
        for (const [resourceId, deviations] of outliers) {
          const dimensions = deviations.map((d) => d.dimension);
          const details = { dimensions, deviations };
          await tx
            .insert(qualityFlags)
            .values({ resourceId, kind: "outlier", details, createdAt: now })
            .onConflictDoUpdate({ target: [qualityFlags.resourceId, qualityFlags.kind], set: { details } });
          // Announce what is new; a resource that stays an outlier on the same dimensions is not news every week.
          const previous = before.get(resourceId);
          if (previous === undefined) added++;
          else if (previous.join() !== dimensions.join()) changed++;
          else continue;
          emit("quality.outlier_detected", { resourceId, dimensions });
        }
        const stale = existing.map((f) => f.resourceId).filter((id) => !outliers.has(id));
        for (let i = 0; i < stale.length; i += 500) {
          await tx.delete(qualityFlags).where(and(eq(qualityFlags.kind, "outlier"), inArray(qualityFlags.resourceId, stale.slice(i, i + 500))));
        }
        return { added, changed, cleared: stale.length };
      });

      return {
        resources: rows.filter((r) => r.dimensions).length,
        outliers: outliers.size,
        newOutliers: counts.added,
        changedOutliers: counts.changed,
        cleared: counts.cleared,
        skippedDimensions: skipped,
        medians: Object.fromEntries(Object.entries(summaries).map(([d, s]) => [d, { median: s.median, mad: round(s.mad), scale: round(s.scale) }])),
      };
    },
  };
}

export const qualityOutliersJob = createQualityOutliersJob();

function dimensionsOf(details: Record<string, unknown>): string[] {
  const d = details.dimensions;
  return Array.isArray(d) ? d.filter((x): x is string => typeof x === "string") : [];
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
