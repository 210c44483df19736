/**
 * Search as a user meets it, over HTTP on a small library (real encoder, real
 * libSQL, real queue): keyword search reads questions, filters and facets
 * narrow and count, results say where they came from, `total` does not move
 * with limit/offset, and "similar" never lists the resource itself or its
 * exact duplicates.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestStack, waitFor, type TestStack } from "../../helpers/stack";

interface Hit {
  id: string;
  title: string | null;
  score: number;
  snippet: string;
  url: string | null;
  path: string | null;
}
interface Result {
  results: Hit[];
  total: number;
  facets?: { category: Array<{ value: string; count: number }>; author: Array<{ value: string; count: number }>; type: Array<{ value: string; count: number }> };
}

const DOCS = {
  unique: {
    title: "Unique constraints",
    authors: ["Ada Lovelace"],
    content:
      "A unique constraint makes a column reject duplicate values.\n\nWhen two rows would hold the same value in that column, the insert fails with an error.\n\nIndexes back unique constraints.",
    contentType: "text/plain",
  },
  backups: {
    title: "Backups",
    authors: ["Grace Hopper"],
    content: "# Backups\n\nDump the database to a file regularly.\n\n## Restoring\n\nA dump can be restored on another server to recover after a disk failure.",
    contentType: "text/markdown",
  },
  vacuum: {
    title: "Vacuuming",
    authors: ["Grace Hopper"],
    content: "Vacuum reclaims the storage taken by deleted rows.\n\nRun it regularly so that tables do not grow without end.",
    contentType: "text/plain",
  },
  duplicate: {
    title: "Vacuuming (mirror)",
    authors: ["Someone Else"],
    content: "Vacuum reclaims the storage taken by deleted rows.\n\nRun it regularly so that tables do not grow without end.",
    contentType: "text/plain",
  },
  /** Has every word of the question below, stop words included, but is not the answer. */
  decoy: {
    title: "Letters to the newspaper",
    authors: ["Decoy Writer"],
    content: "How do I make a name for myself? I do not know how; a unique voice in a newspaper column is rare.",
    contentType: "text/plain",
  },
  weather: {
    title: "Weather",
    authors: ["Ada Lovelace"],
    content: "The weather in Paris is sunny with a light breeze. Rain is expected tomorrow evening.",
    contentType: "text/plain",
  },
} as const;
type Key = keyof typeof DOCS;

let stack: TestStack;
const id = {} as Record<Key, string>;

async function find(query: string): Promise<Result> {
  const res = await api<Result>(stack, "GET", `/search?${query}`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

beforeAll(async () => {
  stack = await startTestStack();
  for (const [key, doc] of Object.entries(DOCS) as Array<[Key, (typeof DOCS)[Key]]>) {
    const res = await api<{ id: string }>(stack, "POST", "/resources", { ...doc, authors: [...doc.authors] });
    expect(res.status).toBe(202);
    id[key] = res.body.id;
  }
  for (const key of Object.keys(DOCS) as Key[]) {
    await waitFor(async () => (await api<{ upToDate: boolean }>(stack, "GET", `/resources/${id[key]}/status`)).body.upToDate, 60_000);
  }
  // Author links are written by their own task; facets and the author filter read them.
  await waitFor(async () => {
    const rs = await stack.app.store.client.execute("SELECT count(DISTINCT resource_id) AS n FROM resource_authors");
    return Number(rs.rows[0]!.n) === Object.keys(DOCS).length;
  }, 30_000);
  await api(stack, "PUT", `/resources/${id.backups}/categories`, { categories: ["software-engineering"] });
}, 180_000);
afterAll(async () => {
  await stack?.dispose();
});

describe("keyword search reads questions", () => {
  it("a question full of stop words finds the page holding its content words, first", async () => {
    const r = await find(`mode=keyword&q=${encodeURIComponent("How do I make a column unique?")}`);
    expect(r.results[0]?.id).toBe(id.unique);
    expect(r.results[0]?.snippet).toMatch(/\[unique\]/i);
    // Not an AND of every word: the decoy is the only page with "how", "do" and "I", and it is not alone.
    expect(r.results.map((h) => h.id)).toContain(id.decoy);
    expect(r.total).toBeGreaterThan(1);
  });

  it("ranks pages matching more of the words first", async () => {
    const r = await find(`mode=keyword&collapse=false&q=${encodeURIComponent("reclaim storage of deleted rows in tables")}`);
    expect([id.vacuum, id.duplicate]).toContain(r.results[0]?.id);
    const uniquePage = r.results.findIndex((h) => h.id === id.unique);
    if (uniquePage >= 0) expect(uniquePage).toBeGreaterThan(1);
  });

  it("keeps phrases and prefixes", async () => {
    const phrase = await find(`mode=keyword&collapse=false&q=${encodeURIComponent('"deleted rows"')}`);
    expect(phrase.results.map((h) => h.id).sort()).toEqual([id.vacuum, id.duplicate].sort());
    // By default the two copies are one result (docs/duplicates.md): whichever was ingested first.
    const collapsed = await find(`mode=keyword&q=${encodeURIComponent('"deleted rows"')}`);
    expect(collapsed.results).toHaveLength(1);
    expect([id.vacuum, id.duplicate]).toContain(collapsed.results[0]?.id);
    const reordered = await find(`mode=keyword&q=${encodeURIComponent('"rows deleted"')}`);
    expect(reordered.total).toBe(0);
    const prefix = await find(`mode=keyword&collapse=false&q=${encodeURIComponent("vacu*")}`);
    expect(prefix.results.map((h) => h.id).sort()).toEqual([id.vacuum, id.duplicate].sort());
  });
});

describe("results", () => {
  it("carry where they came from and the best passage as snippet", async () => {
    const r = await find(`mode=hybrid&q=${encodeURIComponent("restore a dump on another server")}`);
    const hit = r.results.find((h) => h.id === id.backups);
    expect(hit).toBeDefined();
    // Pasted content has no URL; the snippet is the passage about restoring, words highlighted.
    expect(hit!.url).toBeNull();
    expect(hit!.snippet).toMatch(/\[restored?\]/i);
    expect(hit!.snippet).not.toMatch(/regularly/);
  });

  it("have a total that does not change with limit and offset", async () => {
    const q = encodeURIComponent("rows values tables");
    for (const mode of ["keyword", "semantic", "hybrid"]) {
      const totals = new Set<number>();
      for (const [limit, offset] of [[1, 0], [2, 1], [10, 0], [3, 3]]) totals.add((await find(`mode=${mode}&limit=${limit}&offset=${offset}&q=${q}`)).total);
      expect(totals.size, mode).toBe(1);
    }
  });
});

describe("filters and facets", () => {
  const q = encodeURIComponent("rows values database");

  it("count matches per category, author and type", async () => {
    // collapse=false: which copy of the vacuum page represents its cluster depends on ingestion order.
    const r = await find(`mode=keyword&facets=true&collapse=false&q=${q}`);
    expect(r.facets).toBeDefined();
    const byAuthor = Object.fromEntries(r.facets!.author.map((f) => [f.value, f.count]));
    expect(byAuthor["Grace Hopper"]).toBe(2);
    expect(byAuthor["Ada Lovelace"]).toBe(1);
    const byType = Object.fromEntries(r.facets!.type.map((f) => [f.value, f.count]));
    expect(byType["text/markdown"]).toBe(1);
    expect(r.facets!.category.find((c) => c.value === "software-engineering")?.count).toBeGreaterThanOrEqual(1);
    // Without asking, no facets.
    expect((await find(`mode=keyword&q=${q}`)).facets).toBeUndefined();
  });

  it("narrow every mode by author, type, category, date and quality", async () => {
    for (const mode of ["keyword", "semantic", "hybrid"]) {
      const byAuthor = await find(`mode=${mode}&author=${encodeURIComponent("grace hopper")}&q=${q}`);
      expect(byAuthor.results.length, mode).toBeGreaterThan(0);
      for (const h of byAuthor.results) expect([id.backups, id.vacuum]).toContain(h.id);
      const byType = await find(`mode=${mode}&type=text%2Fmarkdown&q=${q}`);
      expect(byType.results.map((h) => h.id)).toEqual([id.backups]);
      expect(byType.total).toBe(1);
      const byCategory = await find(`mode=${mode}&category=software-engineering&q=${q}`);
      expect(byCategory.results.map((h) => h.id)).toContain(id.backups);
      const future = await find(`mode=${mode}&from=2999-01-01&q=${q}`);
      expect(future.total).toBe(0);
      const impossible = await find(`mode=${mode}&minQuality=1&q=${q}`);
      expect(impossible.results.every((h) => h.id === "never")).toBe(true);
    }
  });

  it("see a category change at once, though results are cached", async () => {
    const url = `mode=hybrid&category=mathematics&q=${encodeURIComponent("weather paris")}`;
    expect((await find(url)).results.map((h) => h.id)).not.toContain(id.weather);
    expect((await api(stack, "PUT", `/resources/${id.weather}/categories`, { categories: ["mathematics"] })).status).toBe(200);
    expect((await find(url)).results.map((h) => h.id)).toContain(id.weather);
  });

  it("reject bad filters with a 400", async () => {
    for (const bad of ["minQuality=2", "from=yesterday", "from=2025-02-01&to=2025-01-01", "facets=maybe", "type="]) {
      const res = await api<{ error: string }>(stack, "GET", `/search?q=x&${bad}`);
      expect(res.status, bad).toBe(400);
    }
  });
});

describe("similar", () => {
  it("lists the nearest resources by meaning, never the resource itself or its exact duplicates", async () => {
    const res = await api<{ id: string; items: Array<{ id: string; score: number }> }>(stack, "GET", `/resources/${id.vacuum}/similar?limit=10`);
    expect(res.status).toBe(200);
    const ids = res.body.items.map((i) => i.id);
    expect(ids).not.toContain(id.vacuum);
    expect(ids).not.toContain(id.duplicate);
    expect(ids.length).toBe(Object.keys(DOCS).length - 2);
    // By meaning: rows and tables are nearer to vacuuming than the weather is.
    expect(ids.indexOf(id.weather)).toBeGreaterThan(ids.indexOf(id.unique));
    const scores = res.body.items.map((i) => i.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
  });

  it("answers 404 for an unknown resource", async () => {
    expect((await api(stack, "GET", "/resources/does-not-exist/similar")).status).toBe(404);
  });
});
