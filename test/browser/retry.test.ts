/**
 * Retrying a failed stage from the resource page (issue 18), in headless
 * Chromium: the embedder refuses, for good, any text carrying a marker, so
 * that resource's embedding stage fails. Its page shows the stage failed with
 * the error; once the cause is gone, Retry (the page asks for the key once)
 * re-runs it and the page follows the stage until it is done — and /status
 * agrees. The page also shows the stored text, as text, collapsed when long.
 * Screenshots go to test-results/retry-*.png.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../helpers/browser";
import { api, startTestStack, waitFor, type TestStack } from "../helpers/stack";
import { refusingEmbedder } from "../helpers/refusingEmbedder";

const KEY = "retry-page-test-key";
const auth = { "x-api-key": KEY };
const OUT = path.resolve("test-results");
const shot = (name: string) => path.join(OUT, `retry-${name}.png`);
const MARKER = `quagmirepoison${randomUUID().slice(0, 6)}`;

let stack: TestStack;
let browser: Browser;
let page: Page;
const errors: string[] = [];
/** While true, the embedder refuses texts with the marker (a permanent failure: no retries). */
let refusing = true;

interface StatusView {
  stages: Array<{ stage: string; state: string }>;
  upToDate: boolean;
}
const status = async (id: string) => (await api<StatusView>(stack, "GET", `/resources/${id}/status`, undefined, auth)).body;
const stateOf = (s: StatusView, stage: string) => s.stages.find((x) => x.stage === stage)?.state;

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  stack = await startTestStack({ env: { API_KEY: KEY, QUEUE_PREFIX: `retry${process.pid}${randomUUID().slice(0, 6)}` } });
  stack.app.embedder = refusingEmbedder(stack.app.embedder, MARKER, () => refusing);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on("pageerror", (e) => errors.push(e.message));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.dispose();
});

async function add(content: string, title: string): Promise<string> {
  const res = await api<{ id: string }>(stack, "POST", "/resources", { content, title, contentType: "text/plain" }, auth);
  expect(res.status).toBe(202);
  return res.body.id;
}

describe("resource page: retry a failed stage", () => {
  it("shows the failed embedding stage with its error, and after Retry follows it until done", async () => {
    const id = await add(`Lighthouse keepers logged the weather every hour. ${MARKER}`, "Weather log");
    await waitFor(async () => {
      const s = await status(id);
      return stateOf(s, "embedding") === "failed" && stateOf(s, "searchIndex") === "done" ? s : undefined;
    }, 45_000);

    await page.goto(`${stack.url}/resources/${id}`);
    // Every route needs the key here: the page asks for it once.
    await page.locator("#key-form").waitFor({ state: "visible", timeout: 10_000 });
    await page.fill("#key", KEY);
    await page.click('#key-form button[type="submit"]');
    const row = page.locator('#stages tr[data-stage="embedding"]');
    await page.locator('#stages tr[data-stage="embedding"][data-state="failed"]').waitFor({ timeout: 15_000 });
    expect(await row.locator("td.text").textContent()).toBe("PermanentError: the embedder refused this text");
    await page.screenshot({ path: shot("failed"), fullPage: true });

    refusing = false; // the cause of the failure is removed
    await row.locator("button.retry").click();
    await page.locator('#stages tr[data-stage="embedding"][data-state="done"]').waitFor({ timeout: 45_000 });
    expect(await page.locator("#retry-result").textContent()).toBe("embedding queued again");
    expect(stateOf(await status(id), "embedding")).toBe("done");
    await page.locator('#up-to-date[data-current="true"]').waitFor({ timeout: 30_000 });
    expect((await status(id)).upToDate).toBe(true);
    await page.screenshot({ path: shot("done"), fullPage: true });
    expect(errors).toEqual([]);
  });

  it("shows the stored text as text, open when short and collapsed when long", async () => {
    const hostile = `<p>Hostile <img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script> text &lt;b&gt; &lt;img src=x onerror="window.__pwned=3"&gt;</p>`;
    const short = await add(hostile, "Short hostile text");
    const long = await add(`${"The harbour pilot boards the ship at the outer buoy and guides it in. ".repeat(60)}`, "Long text");
    // The stored text is there once ingestion has extracted it.
    await waitFor(async () => (await status(short)).upToDate && (await status(long)).upToDate, 45_000);
    const stored = (await api<{ content: string }>(stack, "GET", `/resources/${short}/content`, undefined, auth)).body.content;
    // Markup is stripped at extraction, but escaped markup comes back as literal characters.
    expect(stored).toContain("<img src=x onerror=");

    await page.goto(`${stack.url}/resources/${short}`);
    await page.locator("#resource").waitFor({ state: "visible", timeout: 10_000 });
    await expect.poll(() => page.locator("#content").textContent(), { timeout: 10_000 }).toBe(stored);
    expect(await page.locator("#content-details").evaluate((d: HTMLDetailsElement) => d.open)).toBe(true);
    expect(await page.locator("article img, article script, #content *").count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();

    await page.goto(`${stack.url}/resources/${long}`);
    await page.locator("#resource").waitFor({ state: "visible", timeout: 10_000 });
    await expect.poll(() => page.locator("#content").textContent(), { timeout: 10_000 }).toContain("outer buoy");
    const details = page.locator("#content-details");
    expect(await details.evaluate((d: HTMLDetailsElement) => d.open)).toBe(false);
    expect(await page.locator("#content").isVisible()).toBe(false);
    await page.locator("#content-details summary").click();
    expect(await page.locator("#content").isVisible()).toBe(true);
    await page.screenshot({ path: shot("content"), fullPage: true });
    expect(errors).toEqual([]);
  });
});
