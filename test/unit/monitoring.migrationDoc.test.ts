/**
 * docs/migration.md lists every route with its timings; the routing table is
 * the truth. This keeps the document from drifting: change a route and this
 * test fails until `npm run docs` rewrites it.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { routes } from "@shared/events/routing";
import { renderRouteTable, routeBlockOf } from "@local/docs/routeTableDoc";

describe("docs/migration.md", () => {
  const doc = readFileSync("docs/migration.md", "utf8");

  it("carries the routing table as it is", () => {
    const block = routeBlockOf(doc);
    expect(block, "the routes:begin/end block").toBeDefined();
    expect(block, "run `npm run docs`").toBe(renderRouteTable());
  });

  it("names the replacement route of every task in the list of old operations", () => {
    const oldOperations = doc.slice(doc.indexOf("## Every background operation"), doc.indexOf("## The routes that replace them"));
    for (const r of routes) expect(oldOperations, r.task).toContain(`\`${r.task}\``);
    expect(doc).toMatch(/TASK_MODE=inline/);
    expect(doc).toMatch(/TASK_MODE=queued/);
  });
});
