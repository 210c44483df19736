/**
 * The reader's pages in a real browser (issue 18): headless Chromium from
 * Debian's `chromium` package driven by playwright-core, against a running
 * stack with an API key. Adds a file from the search page (the page asks for
 * the key once) and watches it become current; searches from the page and
 * opens the result's page; a hostile title shows as text; after those
 * imports the dashboard's charts are drawn with data. Screenshots go to
 * test-results/pages-*.png.
 *
 * Chromium missing is a failure, not a skip: `.ci/run` installs it.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../helpers/browser";
import { api, startTestStack, waitFor, type TestStack } from "../helpers/stack";

const KEY = "pages-test-key";
const OUT = path.resolve("test-results");
const shot = (name: string) => path.join(OUT, `pages-${name}.png`);

let stack: TestStack;
let browser: Browser;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  stack = await startTestStack({ seriesIntervalMs: 500, env: { API_KEY: KEY, QUEUE_PREFIX: `pages${process.pid}${randomUUID().slice(0, 6)}` } });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on("pageerror", (e) => errors.push(e.message));
});

afterAll(async () => {
  await browser?.close();
  await stack?.dispose();
});

const auth = { "x-api-key": KEY };
const word = `zephyrine${randomUUID().slice(0, 8).replace(/-/g, "")}`;

async function upToDate(id: string): Promise<boolean> {
  return (await api<{ upToDate: boolean }>(stack, "GET", `/resources/${id}/status`, undefined, auth)).body.upToDate;
}

describe("reader's pages", () => {
  it("adds a file from the search page, asking for the key once, and follows it until current", async () => {
    await page.goto(`${stack.url}/`);
    const text = `# Lighthouse keeping\n\nA lighthouse keeper trims the wick, winds the clockwork and logs the ${word} passing ships every night.\n\nThe lamp must never go out during a storm.\n`;
    await page.setInputFiles("#files", { name: "lighthouse.md", mimeType: "text/markdown", buffer: Buffer.from(text) });
    // The API needs a key: the page asks for it, then sends the file it was holding.
    await page.locator("#key-form").waitFor({ state: "visible", timeout: 10_000 });
    await page.fill("#key", KEY);
    await page.click('#key-form button[type="submit"]');
    const row = page.locator('#uploads li[data-name="lighthouse.md"]');
    await row.locator(".stages .stage").first().waitFor({ timeout: 20_000 });
    await page.locator('#uploads li[data-name="lighthouse.md"][data-state="current"]').waitFor({ timeout: 60_000 });
    const id = await row.getAttribute("data-id");
    expect(id).toBeTruthy();
    expect(await upToDate(id!)).toBe(true);
    expect(await row.locator("progress").evaluate((p: HTMLProgressElement) => p.value === p.max && p.max > 1)).toBe(true);
    // The key is in the tab's sessionStorage, never in a URL.
    expect(page.url()).not.toContain(KEY);
    await page.screenshot({ path: shot("added"), fullPage: true });
  });

  it("adds a URL from the page and follows it until current; one that cannot be read fails in its row with the reason", async () => {
    // The key is in this tab already. A file: URL in the inbox (the folder file URLs may read locally).
    const inbox = path.join(stack.dataDir, "inbox");
    mkdirSync(inbox, { recursive: true });
    const file = path.join(inbox, "anchors.md");
    writeFileSync(file, `# Anchors\n\nA stockless anchor stows flush in the hawsepipe; the bosun checks the chain.\n`);
    const good = pathToFileURL(file).href;
    const missing = pathToFileURL(path.join(inbox, "missing.md")).href;
    await page.goto(`${stack.url}/`);
    for (const url of [good, missing]) {
      await page.fill("#add-url", url);
      await page.click('#add-url-form button[type="submit"]');
    }
    const row = page.locator(`#uploads li[data-name="${good}"]`);
    await page.locator(`#uploads li[data-name="${good}"][data-state="current"]`).waitFor({ timeout: 60_000 });
    expect(await upToDate((await row.getAttribute("data-id"))!)).toBe(true);
    // The bar keeps to its column: it does not cover the state beside it.
    const [bar, state] = [await row.locator("progress").boundingBox(), await row.locator(".state").boundingBox()];
    expect(bar!.x + bar!.width).toBeLessThanOrEqual(state!.x);
    await page.locator(`#uploads li[data-name="${missing}"][data-state="failed"]`).waitFor({ timeout: 60_000 });
    expect(await page.locator(`#uploads li[data-name="${missing}"] .state`).textContent()).toMatch(/^failed: .*\S/);
    await page.screenshot({ path: shot("add-url"), fullPage: true });
    expect(errors).toEqual([]);
  });

  it("searches from the page, shows the known document with its passage highlighted, and opens its page", async () => {
    await page.goto(`${stack.url}/`);
    await page.fill("#q", `${word} ships`);
    await page.check('input[name="mode"][value="keyword"]');
    await page.click('#search-form button[type="submit"]');
    const hit = page.locator("#results li.hit").first();
    await hit.waitFor({ timeout: 15_000 });
    expect(await hit.locator("h3").textContent()).toBe("Lighthouse keeping");
    expect(await hit.locator(".snippet mark").allTextContents()).toContain(word);
    expect(await hit.locator(".meta .source").textContent()).toBe("lighthouse.md");
    // Facets are filters: the type facet lists text/markdown, and clicking it keeps the hit.
    const typeFilter = page.locator('#facets [data-facet="type"] button[data-value="text/markdown"]');
    await typeFilter.click();
    await page.locator('#active-filters [data-filter="type"]').waitFor({ timeout: 10_000 });
    expect(page.url()).toContain("type=text%2Fmarkdown");
    await page.locator("#results li.hit").first().waitFor({ timeout: 10_000 });
    await page.screenshot({ path: shot("search"), fullPage: true });

    await page.locator("#results li.hit h3 a").first().click();
    await page.waitForURL(/\/resources\/[A-Za-z0-9-]+$/);
    await page.locator("#resource").waitFor({ state: "visible", timeout: 10_000 });
    expect(await page.locator("#title").textContent()).toBe("Lighthouse keeping");
    await page.locator('#stages tr[data-stage="ingestion"][data-state="done"]').waitFor({ timeout: 10_000 });
    expect(await page.locator("#stages tbody tr").count()).toBeGreaterThan(1);
    await page.locator('#up-to-date[data-current="true"]').waitFor({ timeout: 10_000 });
    // A tag given on the page is the user's own label, and search filters by it.
    await page.fill("#tag-name", "Night shifts");
    await page.click('#tag-form button[type="submit"]');
    await page.locator('#tags li[data-tag="Night shifts"]').waitFor({ timeout: 10_000 });
    const id = page.url().split("/").pop()!;
    const tagged = await api<{ results: Array<{ id: string }> }>(stack, "GET", `/search?q=${word}&mode=keyword&tag=night%20shifts`, undefined, auth);
    expect(tagged.body.results.map((r) => r.id)).toEqual([id]);
    await page.screenshot({ path: shot("resource"), fullPage: true });
  });

  it("keeps the JSON API on the resource path for clients that do not ask for HTML", async () => {
    const created = await api<{ id: string }>(stack, "POST", "/resources", { content: `plain ${randomUUID()}`, contentType: "text/plain" }, auth);
    const res = await fetch(`${stack.url}/resources/${created.body.id}`, { headers: auth });
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    expect(((await res.json()) as { id: string }).id).toBe(created.body.id);
    const html = await fetch(`${stack.url}/resources/${created.body.id}`, { headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
    expect(html.headers.get("content-type")).toMatch(/text\/html/);
    expect(html.headers.get("content-security-policy")).toContain("script-src 'self'");
  });

  it("shows a hostile title and passage as text, running none of it", async () => {
    const hostile = `<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">${word}`;
    const created = await api<{ id: string }>(stack, "POST", "/resources", { title: hostile, content: `<p>Hostile ${word} <img src=x onerror="window.__pwned=3"> text &lt;b&gt;</p>`, contentType: "text/plain" }, auth);
    expect(created.status).toBe(202);
    await waitFor(() => upToDate(created.body.id), 45_000);

    await page.goto(`${stack.url}/?q=${encodeURIComponent(word)}&mode=keyword`);
    const hit = page.locator(`#results li.hit[data-id="${created.body.id}"]`);
    await hit.waitFor({ timeout: 15_000 });
    expect(await hit.locator("h3").textContent()).toBe(hostile);
    expect(await page.locator("#results img, #results script").count()).toBe(0);
    await page.goto(`${stack.url}/resources/${created.body.id}`);
    await page.locator("#resource").waitFor({ state: "visible", timeout: 10_000 });
    expect(await page.locator("#title").textContent()).toBe(hostile);
    expect(await page.locator("article img, article script").count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await page.screenshot({ path: shot("hostile"), fullPage: true });
    expect(errors).toEqual([]);
  });

  it("draws the dashboard's charts from the imports above", async () => {
    const ids = (await api<{ items: Array<{ id: string }> }>(stack, "GET", "/resources?limit=5", undefined, auth)).body.items.map((r) => r.id);
    expect(ids.length).toBeGreaterThanOrEqual(3);
    // Reads between samples give the cache hit rate something to measure.
    for (let i = 0; i < 4; i++) {
      for (const id of ids) await api(stack, "GET", `/resources/${id}`, undefined, auth);
      await new Promise((r) => setTimeout(r, 300));
    }
    await page.goto(`${stack.url}/dashboard`);
    // The key given on the search page is in this tab's sessionStorage: the dashboard does not ask again.
    const drawn = (chart: string, series: string) => page.locator(`#${chart} svg [data-series="${series}"]`);
    await drawn("chart-ingest", "added").first().waitFor({ state: "attached", timeout: 15_000 });
    await drawn("chart-completions", "ingestion").first().waitFor({ state: "attached", timeout: 15_000 });
    await expect.poll(() => page.locator("#chart-queues svg polyline[data-series]").count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(stack.routes.length);
    await drawn("chart-dlq", "ingestion").first().waitFor({ state: "attached", timeout: 15_000 });
    await drawn("chart-lag", "p99").first().waitFor({ state: "attached", timeout: 15_000 });
    await drawn("chart-cache", "hit rate").first().waitFor({ state: "attached", timeout: 15_000 });
    expect(await page.locator("#key-form").isHidden()).toBe(true);

    // Resources were added this hour: the ingest line rises above the zero line somewhere.
    const heights = await drawn("chart-ingest", "added").first().evaluate((line) => {
      const ys = (line.getAttribute("points") ?? "").trim().split(/\s+/).map((p) => Number(p.split(",")[1]));
      return { min: Math.min(...ys), max: Math.max(...ys) };
    });
    expect(heights.min).toBeLessThan(heights.max);
    const ingestionRuns = await drawn("chart-completions", "ingestion").first().getAttribute("points");
    expect(ingestionRuns?.split(" ").length).toBeGreaterThan(1);
    await page.screenshot({ path: shot("dashboard-charts"), fullPage: true });
    expect(errors).toEqual([]);
  });
});
