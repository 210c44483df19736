/**
 * The export in pages (docs/export.md, "On AWS"): on Lambda a response is
 * buffered and capped at 6 MB for the whole JSON envelope API Gateway gets,
 * so `GET /export` answers a page of whole records at a time with the next
 * page's cursor in `x-export-next`. The pages, joined, are the export; a
 * default page of records full of quotes and backslashes (two bytes each in
 * the envelope) stays under the Lambda cap; a small page budget is kept, a
 * record larger than it travels alone; and the CLI joins the pages.
 * No workers: the export reads what was sent, not what ingestion derived.
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestStack, type TestStack } from "../../helpers/stack";
import { envelopeBytes } from "@shared/app/libraryTransfer";

const KEY = "export-pages-key";
const auth = { "x-api-key": KEY };
/** Lambda's limit on a synchronous invocation's response payload. */
const LAMBDA_RESPONSE_BYTES = 6 * 1024 * 1024;

let stack: TestStack;
const small: string[] = [];
let big = "";
const heavy: string[] = [];

interface Page {
  text: string;
  next: string | null;
  lambdaBytes: number;
}

async function page(query: string): Promise<Page> {
  const res = await fetch(`${stack.url}/export${query}`, { headers: auth });
  expect(res.status).toBe(200);
  const text = await res.text();
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => (headers[k] = v));
  // What the API handler would hand Lambda: a JSON envelope with the body as a string.
  const lambdaBytes = Buffer.byteLength(JSON.stringify({ statusCode: 200, headers, body: text }));
  return { text, next: res.headers.get("x-export-next"), lambdaBytes };
}

async function allPages(maxBytes?: number): Promise<Page[]> {
  const size = maxBytes ? `maxBytes=${maxBytes}` : "";
  const pages = [await page(size ? `?${size}` : "")];
  while (pages.at(-1)!.next) pages.push(await page(`?after=${encodeURIComponent(pages.at(-1)!.next!)}${size ? `&${size}` : ""}`));
  return pages;
}

const records = (text: string) =>
  text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { kind: string; id?: string });

beforeAll(async () => {
  stack = await startTestStack({ workers: false, seriesIntervalMs: 0, env: { API_KEY: KEY } });
  for (let i = 0; i < 12; i++) {
    const body = { content: `Note ${i}: the "ferry" leaves at ${i} o'clock from pier\\${i}. ${"Tides turn twice a day. ".repeat(40)}`, contentType: "text/plain", title: `Note ${i}` };
    small.push((await api<{ id: string }>(stack, "POST", "/resources", body, auth)).body.id);
  }
  big = (await api<{ id: string }>(stack, "POST", "/resources", { content: `Long ${"chapter ".repeat(3000)}`, contentType: "text/plain" }, auth)).body.id;
  // 24 records of 150 KB of text where every few characters are a quote or a backslash:
  // 225 KB each as NDJSON, 350 KB each inside the Lambda envelope. A page counted in NDJSON
  // bytes would hold 4.5 MB of them: 7 MB in the envelope, over the cap.
  for (let i = 0; i < 24; i++) {
    const content = `Quoted ${i} ${'"a\\b" '.repeat(25_000)}`;
    heavy.push((await api<{ id: string }>(stack, "POST", "/resources", { content, contentType: "text/plain" }, auth)).body.id);
  }
}, 120_000);

afterAll(async () => {
  await stack?.dispose();
});

describe("export in pages", () => {
  it("keeps every default page under Lambda's 6 MB response cap, and the pages joined are the whole library once, in id order", async () => {
    const pages = await allPages();
    expect(pages.length).toBeGreaterThan(1);
    for (const p of pages) expect(p.lambdaBytes).toBeLessThan(LAMBDA_RESPONSE_BYTES);
    const lines = records(pages.map((p) => p.text).join(""));
    expect(lines[0]!.kind).toBe("header");
    expect(lines.filter((l) => l.kind === "header")).toHaveLength(1);
    const ids = lines.filter((l) => l.kind === "resource").map((l) => l.id!);
    const all = [...small, big, ...heavy].sort();
    expect(ids).toEqual(all);
    expect(pages.at(-1)!.next).toBeNull();
  });

  it("keeps a small page budget, sends a record larger than it alone, and joins to the same records", async () => {
    const budget = 8 * 1024;
    const pages = await allPages(budget);
    const whole = records((await allPages()).map((p) => p.text).join("")).filter((l) => l.kind === "resource");
    expect(records(pages.map((p) => p.text).join("")).filter((l) => l.kind === "resource")).toEqual(whole);
    for (const [i, p] of pages.entries()) {
      const inPage = records(p.text);
      if (i > 0) expect(inPage.some((l) => l.kind === "header")).toBe(false);
      if (inPage.filter((l) => l.kind === "resource").length > 1) expect(envelopeBytes(p.text)).toBeLessThanOrEqual(budget);
    }
    const bigPage = pages.find((p) => records(p.text).some((l) => l.id === big))!;
    expect(records(bigPage.text).filter((l) => l.kind === "resource")).toHaveLength(1);
    expect(envelopeBytes(bigPage.text)).toBeGreaterThan(budget);
    // Several small notes share a page.
    expect(pages.some((p) => records(p.text).filter((l) => l.kind === "resource").length >= 3)).toBe(true);
  });

  it("refuses a bad cursor or a page larger than the default", async () => {
    expect((await fetch(`${stack.url}/export?after=${encodeURIComponent("../x")}`, { headers: auth })).status).toBe(400);
    expect((await fetch(`${stack.url}/export?maxBytes=99999999`, { headers: auth })).status).toBe(400);
    expect((await fetch(`${stack.url}/export?after=${small[0]}`)).status).toBe(401);
  });

  it("the CLI follows the cursor and writes every page to standard output", async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [path.resolve("local/bin/alexandria.mjs"), "export"], {
      env: { ...process.env, ALEXANDRIA_URL: stack.url, API_KEY: KEY },
      maxBuffer: 64 * 1024 * 1024,
    });
    const lines = records(stdout);
    expect(lines.filter((l) => l.kind === "header")).toHaveLength(1);
    expect(lines.filter((l) => l.kind === "resource").map((l) => l.id)).toEqual([...small, big, ...heavy].sort());
  }, 60_000);
});
