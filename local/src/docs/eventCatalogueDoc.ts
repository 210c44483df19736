/**
 * Renders docs/events.md from the catalogue and the routing table, so the
 * human-readable catalogue cannot drift: `npm run docs` writes it and a test
 * fails when the committed file differs.
 */
import * as z from "zod";
import { allEventNames, eventSchemas } from "@shared/events/catalogue";
import { routes } from "@shared/events/routing";
import { priorityName } from "@shared/events/priority";
import { capacityFor } from "@shared/events/priority";
import { schedules, toAwsCron } from "@shared/events/schedules";

/** Who emits each event (kept here, next to the rendering, because producers are code paths, not data). */
const producers: Record<string, string> = {
  "resource.created": "POST /resources, POST /resources/batch",
  "resource.updated": "PATCH /resources/{id} (metadata), ingestion task (new or updated content), POST /resources/{id}/reprocess and /resources/reprocess (stage re-run)",
  "resource.deleted": "DELETE /resources/{id}",
  "resource.content_changed": "ingestion task (new or updated content), POST /resources/{id}/reprocess and /resources/reprocess (stage re-run)",
  "resource.metadata_changed": "PATCH /resources/{id} (metadata changed), reconciler, POST /resources/{id}/reprocess and /resources/reprocess (stage re-run)",
  "ingestion.requested": "POST /resources, POST /resources/batch, PATCH /resources/{id} (content), reconciler, POST /resources/{id}/reprocess and /resources/reprocess (stage re-run)",
  "ingestion.started": "ingestion task (in process)",
  "ingestion.completed": "ingestion task",
  "ingestion.failed": "ingestion task (gave up)",
  "embedding.generated": "embedding task, ingestion task (reused identical content), POST /resources/{id}/reprocess and /resources/reprocess (stage re-run)",
  "quality.computed": "quality task",
  "quality.degraded": "quality-degradation job",
  "quality.outlier_detected": "quality-outliers job",
  "classification.suggested": "classification task",
  "classification.model_retrained": "classifier-retraining job",
  "citations.extracted": "ingestion task, POST /resources/{id}/reprocess and /resources/reprocess (stage re-run)",
  "authors.extracted": "ingestion task, PATCH authors, POST /resources/{id}/reprocess and /resources/reprocess (stage re-run)",
  "authors.normalized": "author-normalization task",
  "search.index_updated": "search-index task",
  "search.performed": "GET /search (in process)",
  "graph.edges_updated": "graph-edges task",
  "cache.invalidated": "cache-invalidation task (in process)",
  "cache.invalidation_requested": "writers whose inline invalidation could not reach Redis",
  "user.interaction_tracked": "POST /interactions",
  "user.profile_refreshed": "profile-refresh task",
  "user.profile_refresh_requested": "DELETE /resources/{id} (for each stored profile built from the resource)",
  "task.started": "task runner (in process: history and metrics only)",
  "task.completed": "task runner (in process)",
  "task.retrying": "task runner (in process)",
  "task.failed": "task runner (in process)",
  "tags.retrain_requested": "POST /tags/suggestions, PUT /resources/{id}/tags and POST /resources/{id}/tags/{tag}/accept|reject (when a decision changed)",
  "job.completed": "job runner (in process)",
  "batch.created": "POST /resources/batch, POST /resources/reprocess (in process)",
};

function fields(schema: z.ZodType): string {
  const js = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as { properties?: Record<string, { type?: string }> };
  return Object.entries(js.properties ?? {})
    .map(([k, v]) => `\`${k}\`${v.type ? `: ${v.type}` : ""}`)
    .join(", ");
}

export function renderEventCatalogue(): string {
  const lines = [
    "# Event catalogue",
    "",
    "Generated from `shared/src/events/catalogue.ts` and `shared/src/events/routing.ts` by `npm run docs`; a test fails when this file is out of date.",
    "Events are named `{entity}.{action}`. On queues they travel in EventBridge's envelope: `detail-type` = name, `detail` = payload + `meta` {eventId, correlationId, priority, occurredAt}.",
    "",
    "## Events",
    "",
    "| event | payload | produced by | consumed by (task, via its queue) |",
    "|---|---|---|---|",
  ];
  for (const name of allEventNames) {
    const consumers = routes.filter((r) => r.events.includes(name)).map((r) => `${r.task}${r.condition ? ` (when \`${r.condition.field}\` = ${String(r.condition.equals)})` : ""}`);
    lines.push(`| \`${name}\` | ${fields(eventSchemas[name])} | ${producers[name] ?? "—"} | ${consumers.join(", ") || "— (history and metrics only)"} |`);
  }
  lines.push(
    "",
    "## Routes",
    "",
    "| task | events | priority | delay | batch size / window | retries (base, exponential) | Lambda max concurrency | local pollers (min→max) |",
    "|---|---|---|---|---|---|---|---|",
  );
  for (const r of routes) {
    const cap = capacityFor(r.priority);
    lines.push(
      `| ${r.task} | ${r.events.map((e) => `\`${e}\``).join(", ")} | ${r.priority} ${priorityName(r.priority)} | ${r.delaySeconds} s | ${r.batchSize} / ${r.batchWindowSeconds} s | ${r.maxRetries} (${r.retryBaseSeconds} s) | ${cap.lambdaMaxConcurrency} | ${cap.localConcurrency}→${cap.localMaxConcurrency} |`,
    );
  }
  lines.push("", "## Schedules", "", "| job | cron (time zone) | EventBridge Scheduler | what it does |", "|---|---|---|---|");
  for (const s of schedules) lines.push(`| ${s.job} | \`${s.cron}\` (${s.timeZone}) | \`${toAwsCron(s.cron)}\` | ${s.description} |`);
  return `${lines.join("\n")}\n`;
}
