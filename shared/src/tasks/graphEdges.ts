/**
 * Graph edges (30 s batch window): links citations to the resources they cite,
 * for a whole batch of resources in one transaction. Links go both ways in
 * time: a resource's own citations are resolved against known resources, and
 * earlier citations that point at this resource's URL/DOI/arXiv id are linked
 * to it now that it exists.
 */
import { eq, inArray, sql } from "drizzle-orm";
import { resources } from "../adapters/libsql/schema";
import { writeWithEvents } from "../app/unitOfWork";
import { Events, type DomainEvent } from "../events/catalogue";
import { defineTask, type TaskResult, type TaskRunContext } from "./types";

function idOf(event: DomainEvent<"citations.extracted">): string {
  return event.payload.resourceId;
}

export const graphEdgesTask = defineTask({
  name: "graph-edges",
  consumes: [Events.citations.extracted],
  subjectOf: idOf,

  async run(event, ctx) {
    const [result] = await linkBatch([event], ctx);
    return result ?? { status: "skipped" };
  },

  runBatch: (events, ctx) => linkBatch(events, ctx),
});

async function linkBatch(events: ReadonlyArray<DomainEvent<"citations.extracted">>, ctx: TaskRunContext): Promise<TaskResult[]> {
    const { app } = ctx;
    const ids = [...new Set(events.map(idOf))];
    const rows = await app.store.db.select({ id: resources.id, contentRevision: resources.contentRevision, graphRevision: resources.graphRevision }).from(resources).where(inArray(resources.id, ids));
    const due = rows.filter((r) => r.graphRevision < r.contentRevision);
    const dueIds = new Set(due.map((r) => r.id));
    const results = events.map((e): TaskResult => (dueIds.has(idOf(e)) ? { status: "succeeded", reason: `batch of ${due.length}` } : { status: "skipped", reason: "already current" }));
    if (due.length > 0) {
      await writeWithEvents(app, ctx.correlationId, async (tx, emit) => {
        let edges = 0;
        for (const r of due) {
          // Outgoing: this resource's citations that match a known resource key.
          const out = await tx.run(sql`
            UPDATE citations SET target_id = (
              SELECT k.resource_id FROM resource_keys k
              WHERE k.kind = citations.kind AND k.value = citations.value AND k.resource_id != citations.source_id
              ORDER BY k.resource_id LIMIT 1)
            WHERE source_id = ${r.id}`);
          // Incoming: others' unresolved citations of this resource's keys.
          const inc = await tx.run(sql`
            UPDATE citations SET target_id = ${r.id}
            WHERE target_id IS NULL AND source_id != ${r.id}
              AND EXISTS (SELECT 1 FROM resource_keys k WHERE k.resource_id = ${r.id} AND k.kind = citations.kind AND k.value = citations.value)`);
          edges += out.rowsAffected + inc.rowsAffected;
          await tx.update(resources).set({ graphRevision: r.contentRevision }).where(eq(resources.id, r.id));
        }
        emit("graph.edges_updated", { resourceIds: due.map((r) => r.id), edges });
        // The batch's ledger rows are written by this transaction too (one commit per task run).
        // It may share the commit of another task's write (nothing reads graph edges while they are linked).
      }, { outcome: () => results, grouped: true });
      await app.cache.invalidate({ tags: ["graph"] }).catch(() => undefined);
    }
    return results;
}
