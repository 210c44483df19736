/**
 * Near-duplicates through the running stack (real queue, libSQL, ingestion
 * task): a PostgreSQL manual page, the same page in other markup from
 * another URL, and an edited copy are one group; a sibling page of the same
 * chapter is not. Search shows the group once unless collapse=false; the
 * stored text reads back; deleting the original frees its copies.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestStack, waitFor, type TestStack } from "../../helpers/stack";

const DIR = "/usr/share/doc/postgresql-doc-15/html";
const page = (name: string) => readFileSync(`${DIR}/${name}`, "utf8");

interface View {
  id: string;
  duplicateOf: { id: string; similarity: number } | null;
  ingestion: { status: string };
}
interface Hit {
  id: string;
  url: string | null;
  path: string | null;
}

let stack: TestStack;
const ids: Record<string, string> = {};

async function add(name: string, body: Record<string, unknown>): Promise<void> {
  const res = await api<{ id: string }>(stack, "POST", "/resources", body);
  expect(res.status).toBe(202);
  ids[name] = res.body.id;
  await waitFor(async () => (await api<{ upToDate: boolean }>(stack, "GET", `/resources/${res.body.id}/status`)).body.upToDate, 60_000);
}

beforeAll(async () => {
  stack = await startTestStack();
  const vacuum = page("sql-vacuum.html");
  await add("original", { content: vacuum, contentType: "text/html", source: "/docs/sql-vacuum.html" });
  // Other markup, another address: classes stripped, divs turned into sections, a mirror's header.
  const markup = vacuum.replace(/ class="[^"]*"/g, "").replace(/<(\/?)div\b/g, "<$1section").replace(/<body[^>]*>/, "<body><p>Mirrored from the manual.</p>");
  await add("markup", { content: markup, contentType: "text/html", title: "VACUUM (mirror)" });
  // A small edit: a few words changed.
  await add("edited", { content: vacuum.replace("garbage-collect", "clean up").replace("reclaims storage", "frees the storage"), contentType: "text/html" });
  await add("sibling", { content: page("sql-analyze.html"), contentType: "text/html" });
}, 180_000);

afterAll(async () => {
  await stack?.dispose();
});

describe("near-duplicates", () => {
  it("marks the near-copies as duplicates of the original, with a similarity, and leaves the sibling page alone", async () => {
    const view = async (name: string) => (await api<View>(stack, "GET", `/resources/${ids[name]}`)).body;
    expect((await view("original")).duplicateOf).toBeNull();
    for (const copy of ["markup", "edited"]) {
      const v = await view(copy);
      expect(v.duplicateOf?.id).toBe(ids.original);
      expect(v.duplicateOf!.similarity).toBeGreaterThanOrEqual(0.6);
    }
    expect((await view("sibling")).duplicateOf).toBeNull();
  });

  it("lists the group from any of its members", async () => {
    const ofOriginal = await api<{ duplicateOf: unknown; items: Array<{ id: string; similarity: number }> }>(stack, "GET", `/resources/${ids.original}/duplicates`);
    expect(ofOriginal.status).toBe(200);
    expect(ofOriginal.body.duplicateOf).toBeNull();
    expect(ofOriginal.body.items.map((i) => i.id).sort()).toEqual([ids.markup, ids.edited].sort());
    const ofCopy = await api<{ duplicateOf: { id: string; similarity: number }; items: Array<{ id: string }> }>(stack, "GET", `/resources/${ids.edited}/duplicates`);
    expect(ofCopy.body.duplicateOf.id).toBe(ids.original);
    expect(ofCopy.body.items.map((i) => i.id)).toEqual([ids.markup]);
    expect((await api(stack, "GET", "/resources/nope/duplicates")).status).toBe(404);
  });

  it("collapses duplicates in search by default and shows them with collapse=false, in every mode", async () => {
    for (const mode of ["keyword", "semantic", "hybrid"]) {
      const collapsed = await api<{ results: Hit[]; total: number }>(stack, "GET", `/search?q=vacuum%20garbage%20collect%20database&mode=${mode}&limit=20`);
      const shown = collapsed.body.results.map((r) => r.id);
      expect(shown, mode).toContain(ids.original);
      expect(shown, mode).not.toContain(ids.markup);
      expect(shown, mode).not.toContain(ids.edited);
      const all = await api<{ results: Hit[]; total: number }>(stack, "GET", `/search?q=vacuum%20garbage%20collect%20database&mode=${mode}&limit=20&collapse=false`);
      expect(all.body.results.map((r) => r.id), mode).toEqual(expect.arrayContaining([ids.original, ids.markup, ids.edited]));
      expect(all.body.total, mode).toBeGreaterThan(collapsed.body.total);
    }
    const hit = (await api<{ results: Hit[] }>(stack, "GET", "/search?q=vacuum&mode=keyword")).body.results.find((r) => r.id === ids.original);
    expect(hit?.path).toBe("/docs/sql-vacuum.html");
    expect((await api(stack, "GET", "/search?q=vacuum&collapse=maybe")).status).toBe(400);
  });

  it("reads back the stored text and where it came from", async () => {
    const res = await api<{ content: string; source: string; contentRevision: number }>(stack, "GET", `/resources/${ids.original}/content`);
    expect(res.status).toBe(200);
    expect(res.body.content).toContain("VACUUM reclaims storage occupied by dead tuples");
    expect(res.body.content).not.toContain("<div");
    expect(res.body.source).toBe("/docs/sql-vacuum.html");
    expect(res.body.contentRevision).toBe(1);
  });

  it("frees the copies when the original is deleted", async () => {
    expect((await api(stack, "DELETE", `/resources/${ids.original}`)).status).toBe(204);
    for (const copy of ["markup", "edited"]) expect((await api<View>(stack, "GET", `/resources/${ids[copy]}`)).body.duplicateOf).toBeNull();
  });
});
