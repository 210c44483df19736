/**
 * Quality degradation monitoring (requirement 6.1, daily 02:00 UTC).
 *
 * Each run compares every resource's current quality score with the snapshot
 * the previous run left, flags drops beyond the threshold (`quality_flags`,
 * kind `degraded`) and announces them as `quality.degraded`, then refreshes
 * the snapshots. Comparison, flags, events and the snapshot refresh share one
 * write transaction: a run either sees and records every drop since the last
 * run, or changes nothing (a crashed run never swallows a drop).
 */
import { and, eq, isNotNull, sql } from "drizzle-orm";
import { qualityFlags, qualitySnapshots, resources } from "../adapters/libsql/schema";
import { writeWithEvents } from "../app/unitOfWork";
import { newId } from "../util/ids";
import type { JobDefinition } from "./types";

export interface DegradationThresholds {
  /** A drop of at least this many score points (scores are 0..1). */
  absolute: number;
  /** …or of at least this share of the previous score. */
  relative: number;
}

export const DEFAULT_DEGRADATION_THRESHOLDS: Readonly<DegradationThresholds> = { absolute: 0.15, relative: 0.2 };

/** Scores are rounded to 4 decimals; 0.80 → 0.65 must count as a drop of 0.15 despite binary floats. */
const EPSILON = 1e-9;

export interface QualityDrop {
  degraded: boolean;
  drop: number;
  relativeDrop: number;
}

/** Whether `previous → current` is a degradation: either threshold suffices. */
export function qualityDrop(previous: number, current: number, thresholds: DegradationThresholds = DEFAULT_DEGRADATION_THRESHOLDS): QualityDrop {
  const drop = previous - current;
  const relativeDrop = previous > 0 ? drop / previous : 0;
  const degraded = drop > EPSILON && (drop + EPSILON >= thresholds.absolute || relativeDrop + EPSILON >= thresholds.relative);
  return { degraded, drop: round(drop), relativeDrop: round(relativeDrop) };
}

export interface QualityDegradationOptions {
  thresholds?: Partial<DegradationThresholds>;
}

export function createQualityDegradationJob(options: QualityDegradationOptions = {}): JobDefinition {
  const thresholds: DegradationThresholds = { ...DEFAULT_DEGRADATION_THRESHOLDS, ...options.thresholds };
  return {
    name: "quality-degradation",
    async run(app) {
      const takenAt = new Date().toISOString();
      return writeWithEvents(app, `job:quality-degradation:${newId()}`, async (tx, emit) => {
        const rows = await tx
          .select({ id: resources.id, current: resources.qualityScore, previous: qualitySnapshots.score, previousAt: qualitySnapshots.takenAt })
          .from(resources)
          .leftJoin(qualitySnapshots, eq(qualitySnapshots.resourceId, resources.id))
          .where(isNotNull(resources.qualityScore));

        let compared = 0;
        let firstSnapshots = 0;
        const degraded = new Set<string>();
        for (const row of rows) {
          const current = row.current!;
          if (row.previous === null) {
            firstSnapshots++;
            continue;
          }
          compared++;
          const result = qualityDrop(row.previous, current, thresholds);
          if (!result.degraded) continue;
          degraded.add(row.id);
          const details = { previous: row.previous, current, drop: result.drop, relativeDrop: result.relativeDrop, previousTakenAt: row.previousAt, thresholds };
          await tx
            .insert(qualityFlags)
            .values({ resourceId: row.id, kind: "degraded", details, createdAt: takenAt })
            .onConflictDoUpdate({ target: [qualityFlags.resourceId, qualityFlags.kind], set: { details, createdAt: takenAt } });
          emit("quality.degraded", { resourceId: row.id, previous: row.previous, current });
        }

        // A flag stays for review until the score is back where it was before the drop.
        const currentById = new Map(rows.map((r) => [r.id, r.current!]));
        const open = await tx.select().from(qualityFlags).where(eq(qualityFlags.kind, "degraded"));
        let recovered = 0;
        let orphans = 0;
        for (const flag of open) {
          if (degraded.has(flag.resourceId)) continue;
          const current = currentById.get(flag.resourceId);
          const before = typeof flag.details.previous === "number" ? flag.details.previous : undefined;
          const gone = current === undefined;
          if (gone || (before !== undefined && !qualityDrop(before, current, thresholds).degraded)) {
            await tx.delete(qualityFlags).where(and(eq(qualityFlags.resourceId, flag.resourceId), eq(qualityFlags.kind, "degraded")));
            if (gone) orphans++;
            else recovered++;
          }
        }

        // Snapshots of deleted (or never scored) resources would compare against nothing.
        const pruned = await tx.run(sql`DELETE FROM quality_snapshots WHERE resource_id NOT IN (SELECT id FROM resources WHERE quality_score IS NOT NULL)`);
        await tx.run(sql`
          INSERT INTO quality_snapshots (resource_id, score, taken_at)
          SELECT id, quality_score, ${takenAt} FROM resources WHERE quality_score IS NOT NULL
          ON CONFLICT (resource_id) DO UPDATE SET score = excluded.score, taken_at = excluded.taken_at`);

        return {
          scored: rows.length,
          compared,
          firstSnapshots,
          firstRun: compared === 0,
          degraded: degraded.size,
          /** The first few, so the job log points somewhere; all are in quality_flags. */
          degradedIds: [...degraded].slice(0, 50),
          recovered,
          orphanFlagsRemoved: orphans,
          snapshotsPruned: pruned.rowsAffected,
          thresholds,
        };
      });
    },
  };
}

export const qualityDegradationJob = createQualityDegradationJob();

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
