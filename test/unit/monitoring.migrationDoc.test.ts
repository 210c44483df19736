/**
 * docs/migration.md lists every route with its timings; the routing table is
 * the truth. This keeps the document from drifting: change a route and this
 * test prints the table to paste.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { dlqName, queueName, routes } from "../../shared/src/events/routing";
import { priorityName } from "../../shared/src/events/priority";

function routeTable(): string {
  const lines = [
    "| task | triggered by | priority | delay (s) | batch size / window (s) | retries (backoff base s) | timeout (s) | queue, DLQ |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const r of routes) {
    const trigger = r.events.map((e) => `\`${e}\``).join(", ") + (r.condition ? ` when \`${r.condition.field} = ${String(r.condition.equals)}\`` : "");
    lines.push(
      `| \`${r.task}\` | ${trigger} | ${priorityName(r.priority)} (${r.priority}) | ${r.delaySeconds} | ${r.batchSize} / ${r.batchWindowSeconds} | ${r.maxRetries} (${r.retryBaseSeconds}) | ${r.timeoutSeconds} | \`${queueName(r.task)}\`, \`${dlqName(r.task)}\` |`,
    );
  }
  return lines.join("\n");
}

describe("docs/migration.md", () => {
  const doc = readFileSync("docs/migration.md", "utf8");

  it("carries the routing table as it is", () => {
    const block = doc.match(/<!-- routes:begin -->\n([\s\S]*?)\n<!-- routes:end -->/)?.[1];
    expect(block, "the routes:begin/end block").toBeDefined();
    expect(block).toBe(routeTable());
  });

  it("names the replacement route of every task in the list of old operations", () => {
    const oldOperations = doc.slice(doc.indexOf("## Every background operation"), doc.indexOf("## The routes that replace them"));
    for (const r of routes) expect(oldOperations, r.task).toContain(`\`${r.task}\``);
    expect(doc).toMatch(/TASK_MODE=inline/);
    expect(doc).toMatch(/TASK_MODE=queued/);
  });
});
