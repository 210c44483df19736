/**
 * Export → import into a fresh store → the same library: every resource with
 * its id, input, user-set metadata, manual categories and interactions, the
 * same stored text, and the same search results. Re-importing changes
 * nothing; a record whose id exists with other content is a conflict,
 * skipped and reported; a broken record is reported by line.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestStack, waitFor, type TestStack } from "../../helpers/stack";

const KEY = "transfer-test-key";
const auth = { "x-api-key": KEY };
const DIR = "/usr/share/doc/postgresql-doc-15/html";

let source: TestStack;
let target: TestStack;
const ids: string[] = [];

async function exportOf(stack: TestStack): Promise<{ status: number; type: string | null; lines: Array<Record<string, unknown>> }> {
  const res = await fetch(`${stack.url}/export`, { headers: auth });
  const text = await res.text();
  return { status: res.status, type: res.headers.get("content-type"), lines: text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

async function current(stack: TestStack, id: string): Promise<void> {
  await waitFor(async () => (await api<{ upToDate: boolean }>(stack, "GET", `/resources/${id}/status`, undefined, { "x-api-key": KEY })).body.upToDate, 90_000);
}

interface Report {
  records: number;
  created: number;
  updated: number;
  unchanged: number;
  conflicts: Array<{ line: number; id: string; reason: string }>;
  invalid: Array<{ line: number; id: string | null; reason: string }>;
  createdIds: string[];
}

async function importInto(stack: TestStack, records: unknown[]): Promise<Report> {
  const res = await api<Report>(stack, "POST", "/import", { records }, auth);
  expect(res.status).toBe(200);
  return res.body;
}

beforeAll(async () => {
  const env = { API_KEY: KEY };
  [source, target] = await Promise.all([
    startTestStack({ env: { ...env, QUEUE_PREFIX: `xa${process.pid}` } }),
    startTestStack({ env: { ...env, QUEUE_PREFIX: `xb${process.pid}`, REDIS_PREFIX: `xb${process.pid}${Date.now().toString(36)}:` } }),
  ]);
  const docs = [
    { content: readFileSync(`${DIR}/sql-vacuum.html`, "utf8"), contentType: "text/html", title: "Vacuum, by hand", authors: ["Ada Lovelace"] },
    { content: readFileSync(`${DIR}/sql-analyze.html`, "utf8"), contentType: "text/html", source: "/home/me/docs/sql-analyze.html" },
    { content: "# Backups\n\nDump the database to a file regularly.\n\n## Restoring\n\nA dump restores on another server after a disk failure.", contentType: "text/markdown", description: "notes" },
    { content: "Checkpoints write dirty pages to disk so that recovery after a crash replays less of the write-ahead log.", contentType: "text/plain" },
  ];
  for (const d of docs) ids.push((await api<{ id: string }>(source, "POST", "/resources", d, auth)).body.id);
  for (const id of ids) await current(source, id);
  expect((await api(source, "PUT", `/resources/${ids[0]}/categories`, { categories: ["computer-science"] }, auth)).status).toBe(200);
  for (const type of ["view", "bookmark"]) expect((await api(source, "POST", "/interactions", { userId: "reader-1", resourceId: ids[1], type }, auth)).status).toBe(201);
  // A PATCH: the export carries the content as it is now.
  expect((await api(source, "PATCH", `/resources/${ids[3]}`, { content: "Checkpoints flush dirty buffers to disk; crash recovery then replays only the WAL written after the last checkpoint." }, auth)).status).toBe(202);
  await current(source, ids[3]!);
}, 240_000);

afterAll(async () => {
  await Promise.all([source?.dispose(), target?.dispose()]);
});

describe("export", () => {
  it("needs the key", async () => {
    expect((await fetch(`${source.url}/export`)).status).toBe(401);
    expect((await api(source, "POST", "/import", { records: [{}] })).status).toBe(401);
  });

  it("streams a header and one record per resource with its input, metadata, manual categories and interactions, and nothing derived", async () => {
    const { status, type, lines } = await exportOf(source);
    expect(status).toBe(200);
    expect(type).toContain("application/x-ndjson");
    expect(lines[0]).toMatchObject({ kind: "header", format: "alexandria-library", version: 1, resources: 4 });
    const records = lines.slice(1);
    expect(records.map((r) => r.id).sort()).toEqual([...ids].sort());
    const byId = new Map(records.map((r) => [r.id as string, r]));
    expect(byId.get(ids[0]!)).toMatchObject({ metadata: { title: "Vacuum, by hand", authors: ["Ada Lovelace"] }, categories: ["computer-science"], input: { contentType: "text/html" } });
    expect((byId.get(ids[1]!)!.interactions as Array<{ type: string }>).map((i) => i.type).sort()).toEqual(["bookmark", "view"]);
    expect((byId.get(ids[3]!)!.input as { content: string }).content).toContain("flush dirty buffers");
    for (const r of records) expect(Object.keys(r).sort()).toEqual(["categories", "createdAt", "id", "input", "interactions", "kind", "metadata"]);
  });
});

describe("import", () => {
  let exported: Array<Record<string, unknown>>;

  it("into a fresh store gives the same resources, metadata, text and search results", async () => {
    exported = (await exportOf(source)).lines;
    const report = await importInto(target, exported);
    expect(report).toMatchObject({ records: 4, created: 4, unchanged: 0, conflicts: [], invalid: [] });
    for (const id of report.createdIds) await current(target, id);
    const view = async (stack: TestStack, id: string) => {
      const v = (await api<Record<string, unknown>>(stack, "GET", `/resources/${id}`, undefined, auth)).body;
      // Revisions count the changes each store saw (the source had a PATCH): bookkeeping, not the library.
      const { updatedAt: _u, ingestion: _i, quality: _q, revision: _r, contentRevision: _c, metadataRevision: _m, ...rest } = v;
      return { ...rest, categories: (v.categories as Array<{ source: string; category: string }>).filter((c) => c.source === "manual") };
    };
    for (const id of ids) {
      expect(await view(target, id)).toEqual(await view(source, id));
      const content = async (stack: TestStack) => ({ ...(await api<Record<string, unknown>>(stack, "GET", `/resources/${id}/content`, undefined, auth)).body, contentRevision: null });
      expect(await content(target)).toEqual(await content(source));
    }
    for (const q of ["vacuum dead tuples", "statistics about the contents of tables", "restore a dump", "checkpoint"]) {
      for (const mode of ["keyword", "semantic"]) {
        const a = (await api<{ results: unknown[] }>(source, "GET", `/search?mode=${mode}&q=${encodeURIComponent(q)}`, undefined, auth)).body;
        const b = (await api<{ results: unknown[] }>(target, "GET", `/search?mode=${mode}&q=${encodeURIComponent(q)}`, undefined, auth)).body;
        expect(b, `${mode}: ${q}`).toEqual(a);
      }
    }
    // The target's own export is the source's, record for record.
    expect((await exportOf(target)).lines.slice(1)).toEqual(exported.slice(1));
  });

  it("again changes nothing", async () => {
    const report = await importInto(target, exported);
    expect(report).toMatchObject({ records: 4, created: 0, updated: 0, unchanged: 4, conflicts: [], invalid: [] });
    expect((await exportOf(target)).lines.slice(1)).toEqual(exported.slice(1));
  });

  it("skips and reports a conflicting id and a broken record by line, and goes on with the rest", async () => {
    const conflicting = { ...exported[1]!, input: { content: "something else entirely", contentType: "text/plain" } };
    const fresh = { ...exported[2]!, id: "imported-fresh-1" };
    const report = await importInto(target, [conflicting, { kind: "resource", id: "bad", input: {} }, fresh]);
    expect(report.conflicts).toEqual([{ line: 1, id: exported[1]!.id, reason: expect.stringContaining("different content") }]);
    expect(report.invalid).toEqual([{ line: 2, id: "bad", reason: expect.any(String) }]);
    expect(report.created).toBe(1);
    expect((await api(target, "GET", "/resources/imported-fresh-1", undefined, auth)).status).toBe(200);
  });
});
