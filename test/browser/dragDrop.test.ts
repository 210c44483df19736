/**
 * Dropping files on the search page (issue 18), in headless Chromium: a real
 * DataTransfer holding files is dispatched as dragenter/dragover/drop, the way
 * the browser delivers an OS drag. Dropped on the drop zone, a Markdown note,
 * an HTML page and a PDF each get a row that follows its stages until current,
 * and the API agrees (title, type, stored text); an empty file and a file of a
 * type the library cannot read (by type, or by its bytes) are refused by name,
 * and the rest goes on.
 * Dropped anywhere else on the page, files are still added and the browser does
 * not navigate away to open them (the drop's default is prevented).
 * Screenshots go to test-results/drop-*.png.
 */
import { mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../helpers/browser";
import { api, startTestStack, type TestStack } from "../helpers/stack";

const KEY = "drop-test-key";
const auth = { "x-api-key": KEY };
const OUT = path.resolve("test-results");
const shot = (name: string) => path.join(OUT, `drop-${name}.png`);
const word = `quillwort${randomUUID().slice(0, 8).replace(/-/g, "")}`;

let stack: TestStack;
let browser: Browser;
let page: Page;
const errors: string[] = [];

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  stack = await startTestStack({ env: { API_KEY: KEY, QUEUE_PREFIX: `drop${process.pid}${randomUUID().slice(0, 6)}` } });
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  page.on("pageerror", (e) => errors.push(e.message));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.dispose();
});

interface Dropped {
  name: string;
  type: string;
  base64: string;
}
const file = (name: string, type: string, bytes: Buffer | string): Dropped => ({ name, type, base64: Buffer.from(bytes).toString("base64") });

/**
 * Dispatches dragenter, dragover and drop carrying `files` on the element at
 * `selector`, as Chromium does for a drag from the desktop. Answers which of
 * the three events had their default prevented (an unprevented dragover means
 * "no drop here", and an unprevented drop makes the browser open the file in
 * place of the page), and whether the drop zone was lit during the drag and
 * dark after. (A script-made DataTransfer ignores `dropEffect`, so that is not
 * observable here.)
 */
async function drop(selector: string, files: Dropped[]) {
  return page.evaluate(
    ({ selector, files }) => {
      const target = document.querySelector(selector);
      if (!target) throw new Error(`no ${selector}`);
      const dt = new DataTransfer();
      for (const f of files) {
        const bytes = Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0));
        dt.items.add(new File([bytes], f.name, { type: f.type }));
      }
      const prevented: Record<string, boolean> = {};
      const lit: Record<string, boolean> = {};
      for (const type of ["dragenter", "dragover", "drop"]) {
        const ev = new DragEvent(type, { bubbles: true, cancelable: true, dataTransfer: dt });
        target.dispatchEvent(ev);
        prevented[type] = ev.defaultPrevented;
        lit[type] = document.getElementById("drop")!.classList.contains("over");
      }
      return { prevented, lit };
    },
    { selector, files },
  );
}

const row = (name: string) => page.locator(`#uploads li[data-name="${name}"]`);

interface ResourceView {
  title: string | null;
  source?: string | null;
  path?: string | null;
}

describe("search page: dropping files", () => {
  it("ingests the files dropped on the drop zone, each followed until current, and refuses the unreadable ones by name", async () => {
    await page.goto(`${stack.url}/`);
    await page.evaluate((key) => sessionStorage.setItem("alexandria.apiKey", key), KEY);
    const pdf = readFileSync("test/fixtures/ingest/pdf/groff-meintro-p1-3.pdf");
    const result = await drop("#drop", [
      file("harbour-notes.md", "text/markdown", `# Harbour notes\n\nThe pilot boat meets the ${word} freighter at the outer buoy.\n`),
      file("tide-table.html", "text/html", `<!doctype html><html><head><title>Tide table</title></head><body><p>High water at the ${word} quay is at six.</p></body></html>`),
      file("meintro.pdf", "application/pdf", pdf),
      file("empty.txt", "text/plain", ""),
      file("photo.png", "image/png", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d])),
      // No known extension and no type: read as text, and refused once it turns out binary.
      file("dump.bin", "", Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0xff, 0xfe])),
    ]);
    // The zone accepts the drag (else the browser shows "no drop" and opens the file on release).
    expect(result.prevented).toEqual({ dragenter: true, dragover: true, drop: true });
    expect(result.lit).toEqual({ dragenter: true, dragover: true, drop: false });

    for (const name of ["harbour-notes.md", "tide-table.html", "meintro.pdf"]) {
      await page.locator(`#uploads li[data-name="${name}"][data-state="current"]`).waitFor({ timeout: 90_000 });
    }
    await page.locator('#uploads li[data-name="empty.txt"][data-state="failed"]').waitFor({ timeout: 10_000 });
    expect(await row("empty.txt").locator(".state").textContent()).toContain("empty.txt is empty");
    await page.locator('#uploads li[data-name="photo.png"][data-state="failed"]').waitFor({ timeout: 10_000 });
    expect(await row("photo.png").locator(".state").textContent()).toMatch(/photo\.png.*not a type the library reads/);
    await page.locator('#uploads li[data-name="dump.bin"][data-state="failed"]').waitFor({ timeout: 10_000 });
    expect(await row("dump.bin").locator(".state").textContent()).toMatch(/dump\.bin.*looks binary/);
    await page.screenshot({ path: shot("zone"), fullPage: true });

    // What the API holds agrees with the rows: one resource per readable file, none for the refused ones.
    // Titles are the documents' own (as the CLI leaves them), not the file names.
    const expected: Record<string, { title: string | RegExp }> = {
      "harbour-notes.md": { title: "Harbour notes" },
      "tide-table.html": { title: "Tide table" },
      "meintro.pdf": { title: /\w/ },
    };
    for (const [name, want] of Object.entries(expected)) {
      const id = await row(name).getAttribute("data-id");
      expect(id, name).toBeTruthy();
      const status = await api<{ upToDate: boolean }>(stack, "GET", `/resources/${id}/status`, undefined, auth);
      expect(status.body.upToDate, name).toBe(true);
      const view = await api<ResourceView>(stack, "GET", `/resources/${id}`, undefined, auth);
      if (typeof want.title === "string") expect(view.body.title, name).toBe(want.title);
      else expect(view.body.title ?? "", name).toMatch(want.title);
      expect(view.body.source ?? view.body.path ?? null, name).toBe(name);
      const content = await api<{ content: string }>(stack, "GET", `/resources/${id}/content`, undefined, auth);
      if (name === "meintro.pdf") expect(content.body.content, name).toMatch(/\w{4,}/);
      else expect(content.body.content, name).toContain(word);
    }
    expect(await row("empty.txt").getAttribute("data-id")).toBeNull();
    expect(await row("photo.png").getAttribute("data-id")).toBeNull();
    expect(await row("dump.bin").getAttribute("data-id")).toBeNull();
    const listed = await api<{ items: Array<{ id: string }> }>(stack, "GET", "/resources?limit=50", undefined, auth);
    expect(listed.body.items).toHaveLength(3);

    // Searching the page finds the dropped documents.
    await page.goto(`${stack.url}/?q=${word}&mode=keyword`);
    await expect.poll(() => page.locator("#results li.hit").count(), { timeout: 15_000 }).toBe(2);
    // Each result says where it came from: the browser gives no path, so the file's name.
    expect((await page.locator("#results li.hit .meta .source").allTextContents()).sort()).toEqual(["harbour-notes.md", "tide-table.html"]);
    expect(errors).toEqual([]);
  });

  it("takes files dropped anywhere on the page, not only on the zone, and stays on the page", async () => {
    await page.goto(`${stack.url}/`);
    const before = page.url();
    const text = `Lock keepers open the sluices for the ${word} barge at dawn.`;
    const result = await drop("#results-section", [file("lock-keeper.txt", "text/plain", text)]);
    expect(result.prevented.drop).toBe(true);
    expect(result.prevented.dragover).toBe(true);
    expect(result.lit).toEqual({ dragenter: true, dragover: true, drop: false });
    await page.locator('#uploads li[data-name="lock-keeper.txt"][data-state="current"]').waitFor({ timeout: 60_000 });
    expect(page.url()).toBe(before);
    await page.screenshot({ path: shot("page"), fullPage: true });
    expect(errors).toEqual([]);
  });
});
