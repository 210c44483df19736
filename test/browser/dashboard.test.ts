/**
 * The local dashboard in a real browser (issue 6): headless Chromium from
 * Debian's `chromium` package driven by playwright-core. Against a running
 * stack with an API key: the page asks for the key, shows a task that just
 * ran, lists a dead letter, and its Replay button sends it back (the row goes
 * away and the resource becomes current). Leaves test-results/dashboard.png
 * (and dashboard-dead-letter.png, taken while the dead letter was listed).
 *
 * Chromium missing is a failure, not a skip: test/globalSetup.ts installs it.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../helpers/browser";
import { api, startTestStack, waitFor, type TestStack } from "../helpers/stack";
import { sharedRedisUrl } from "../helpers/sharedRedis";

const KEY = "dashboard-test-key";
const SCREENSHOT = path.resolve("test-results/dashboard.png");
const SCREENSHOT_DEAD_LETTER = path.resolve("test-results/dashboard-dead-letter.png");

let stack: TestStack;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  stack = await startTestStack({ env: { API_KEY: KEY, REDIS_URL: sharedRedisUrl(), QUEUE_PREFIX: `dash${process.pid}${randomUUID().slice(0, 6)}` } });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1400, height: 1600 } });
});

afterAll(async () => {
  await browser?.close();
  await stack?.dispose();
});

const auth = { "x-api-key": KEY };

describe("dashboard", () => {
  it("asks for the API key, then shows queues, a task that just ran and its events", async () => {
    const errors: string[] = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await page.goto(`${stack.url}/dashboard`);
    await page.locator("#key-form").waitFor({ state: "visible" });
    await page.fill("#key", KEY);
    await page.click('#key-form button[type="submit"]');
    await page.locator("#key-form").waitFor({ state: "hidden" });
    await expect.poll(() => page.locator("#queues tbody tr[data-task]").count(), { timeout: 10_000 }).toBe(stack.routes.length);

    const res = await api<{ id: string }>(stack, "POST", "/resources", { content: `Dashboards show what a system is doing. ${randomUUID()}`, contentType: "text/plain" }, auth);
    expect(res.status).toBe(202);
    const id = res.body.id;
    await waitFor(async () => (await api<{ upToDate: boolean }>(stack, "GET", `/resources/${id}/status`, undefined, auth)).body.upToDate, 45_000);

    // The page refreshes by itself every 2 s: no reload.
    await page.locator(`#tasks tr[data-resource="${id}"][data-task="ingestion"][data-status="succeeded"]`).waitFor({ timeout: 15_000 });
    await page.locator("#events tr[data-event]", { hasText: id }).first().waitFor({ timeout: 15_000 });
    const processed = await page.locator('#workers tr[data-task="ingestion"] td').nth(5).textContent();
    expect(Number(processed)).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#freshness dd[data-figure="resources"]').textContent()).toBe("1");
    expect(errors).toEqual([]);
  });

  it("lists a dead letter and replays it with its button", async () => {
    const inbox = path.join(stack.dataDir, "inbox");
    mkdirSync(inbox, { recursive: true });
    const file = path.join(inbox, "late.md");
    const res = await api<{ id: string }>(stack, "POST", "/resources", { url: pathToFileURL(file).href }, auth);
    const id = res.body.id;

    const row = page.locator(`#dead-letters tr[data-resource="${id}"]`);
    await row.waitFor({ timeout: 20_000 });
    expect(await row.textContent()).toMatch(/late\.md/);
    await page.locator('#queues tr[data-task="ingestion"] td[data-dlq="1"]').waitFor({ timeout: 10_000 });
    await page.locator(`#failures tr[data-resource="${id}"][data-status="failed"]`).waitFor({ timeout: 10_000 });
    mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT_DEAD_LETTER, fullPage: true });

    // Fix the cause, then replay from the page.
    writeFileSync(file, `# Late\n\nThis file arrived after its first ingestion attempt, ${randomUUID()}.\n`);
    await row.locator("button.replay").click();
    await row.waitFor({ state: "detached", timeout: 20_000 });
    await page.locator("#replay-result", { hasText: "replayed 1" }).waitFor({ timeout: 5_000 });

    await waitFor(async () => (await api<{ upToDate: boolean }>(stack, "GET", `/resources/${id}/status`, undefined, auth)).body.upToDate, 45_000);
    const dlq = await api<{ items: Array<{ resourceId: string }> }>(stack, "GET", "/monitoring/dead-letters", undefined, auth);
    expect(dlq.body.items.some((d) => d.resourceId === id)).toBe(false);
    await page.locator(`#tasks tr[data-resource="${id}"][data-task="ingestion"][data-status="succeeded"]`).waitFor({ timeout: 15_000 });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
  });
});
