/**
 * The derived-data table (shared/src/domain/derived.ts) is the one truth of
 * freshness. For every row: a resource whose datum is behind is reported
 * behind by resource status, the freshness view and the reconciler; the row's
 * task, run on it, writes the row's "computed from" column up to the revision
 * the row follows; and then all three call it current. A task that stops
 * recording what it computed from fails here. Real libSQL, the real tasks.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resources } from "@shared/adapters/libsql/schema";
import { getStatus } from "@shared/app/resources";
import { freshness } from "@shared/app/monitoring";
import { DERIVED, DERIVED_NAMES } from "@shared/domain/derived";
import { routeFor } from "@shared/events/routing";
import { staleData } from "@shared/jobs/reconciler";
import { makeEvent } from "@shared/outbox/events";
import { taskFor } from "@shared/tasks/registry";
import { newId } from "@shared/util/ids";
import { startTestStack, type TestStack } from "../helpers/stack";
import { insertResource, setResource } from "./jobs/support";

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ workers: false, api: false, sweepIntervalMs: 0 });
});
afterAll(async () => {
  await stack?.dispose();
});

async function rowOf(id: string) {
  const row = await stack.app.store.db.query.resources.findFirst({ where: eq(resources.id, id) });
  if (!row) throw new Error(`no resource ${id}`);
  return row;
}

describe("every row of the derived-data table", () => {
  it("covers every derived revision column of the resources table", () => {
    const recorded = Object.keys(resources).filter((c) => /^(embedded|indexed|quality|classified|graph|authors)Revision$/.test(c));
    expect(new Set(DERIVED_NAMES.map((d) => DERIVED[d].computedFrom))).toEqual(new Set(recorded));
  });

  for (const name of DERIVED_NAMES) {
    const kind = DERIVED[name];
    it(`${name}: ${kind.task} writes ${kind.computedFrom} up to ${kind.follows}, and every view agrees`, async () => {
      const id = newId();
      const text = `Document ${id} on reading, writing and the history of libraries. See https://example.org/paper-${id}.`;
      await insertResource(stack.app, { id, content: text, authors: ["Ada Lovelace"], title: `Libraries ${id}` });
      // The resource changed: the revision this datum follows is now 2, everything else stays current.
      const bump = { revision: 2, [kind.follows]: 2, updatedAt: new Date().toISOString() };
      await setResource(stack.app, id, bump);
      const bumped = await rowOf(id);
      for (const other of DERIVED_NAMES) {
        if (other !== name) await setResource(stack.app, id, { [DERIVED[other].computedFrom]: bumped[DERIVED[other].follows] });
      }
      const before = await rowOf(id);
      expect(before[kind.computedFrom]).toBe(1);
      expect((await getStatus(stack.app, id)).derived[name].current).toBe(false);
      expect(staleData(before)).toEqual([name]);
      expect((await freshness(stack.app, { limit: 100 })).oldest.find((r) => r.id === id)?.lagging).toEqual([name]);

      // The trigger the routing table sends this task, with every revision the resource has now.
      const payload = { resourceId: id, revision: before.revision, contentRevision: before.contentRevision, metadataRevision: before.metadataRevision, contentHash: before.contentHash, changed: [], reused: false, count: 1 };
      const event = makeEvent(routeFor(kind.task).events[0]!, payload as never, `derived-${name}`);
      const result = await taskFor(kind.task).run(event, { app: stack.app, correlationId: `derived-${name}`, attempt: 1 });
      expect(result.status).toBe("succeeded");

      const after = await rowOf(id);
      expect(after[kind.computedFrom]).toBe(after[kind.follows]);
      const status = await getStatus(stack.app, id);
      expect(status.derived[name].current).toBe(true);
      expect(status.upToDate).toBe(true);
      expect(status.stages.every((s) => s.state === "done")).toBe(true);
      expect(staleData(after)).toEqual([]);
      expect((await freshness(stack.app, { limit: 100 })).oldest.find((r) => r.id === id)).toBeUndefined();
    });
  }
});
