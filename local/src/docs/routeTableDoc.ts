/**
 * The routing table as docs/migration.md shows it (between the
 * `routes:begin`/`routes:end` markers): `npm run docs` writes it, a test checks
 * the file still carries it.
 */
import { dlqName, queueName, routes } from "@shared/events/routing";
import { priorityName } from "@shared/events/priority";

export function renderRouteTable(): string {
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

const BLOCK = /(<!-- routes:begin -->\n)[\s\S]*?(\n<!-- routes:end -->)/;

/** The route block of a migration document, or undefined when its markers are missing. */
export function routeBlockOf(doc: string): string | undefined {
  const m = /<!-- routes:begin -->\n([\s\S]*?)\n<!-- routes:end -->/.exec(doc);
  return m?.[1];
}

export function withRouteTable(doc: string): string {
  if (!BLOCK.test(doc)) throw new Error("docs/migration.md has no routes:begin/routes:end block");
  return doc.replace(BLOCK, (_m, begin: string, end: string) => `${begin}${renderRouteTable()}${end}`);
}
