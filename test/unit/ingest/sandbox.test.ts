/**
 * Hostile documents fail alone, with `document_too_complex`, and the process
 * (and the sandbox) keeps extracting the next document. Every hostile input is
 * generated here (test/helpers/hostileDocuments.ts).
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DocumentTooComplexError } from "@shared/ingest/errors";
import { DEFAULT_EXTRACTION_LIMITS, type ExtractionLimits } from "@shared/ingest/extractionLimits";
import { extractInSandbox, SANDBOX_POOL_SIZE, sandboxChildrenStarted } from "@shared/ingest/sandbox";
import { buildPdf, deeplyNestedHtml, manyAttributesHtml, pdfBomb, textPage } from "../../helpers/hostileDocuments";

const html = (text: string) => ({ bytes: new TextEncoder().encode(text), contentType: "text/html" });
const limits = (overrides: Partial<ExtractionLimits>): ExtractionLimits => ({ ...DEFAULT_EXTRACTION_LIMITS, ...overrides });

async function expectTooComplex(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DocumentTooComplexError);
  expect((error as Error).message).toMatch(/^document_too_complex: /);
  return (error as Error).message;
}

async function expectStillExtracting(): Promise<void> {
  const doc = await extractInSandbox({ bytes: buildPdf([textPage("Still standing after the bomb")]), contentType: "application/pdf" });
  expect(doc.text).toContain("Still standing after the bomb");
}

describe("extraction sandbox", () => {
  it("extracts an ordinary PDF and HTML page as the in-thread extractor does", async () => {
    const pdf = await extractInSandbox({ bytes: buildPdf([textPage("First page text"), textPage("Second page text")]), contentType: "application/pdf" });
    expect(pdf.text).toContain("First page text");
    expect(pdf.text).toContain("Second page text");
    const page = await extractInSandbox(html("<html><head><title>T</title></head><body><p>See https://example.org/a for more.</p></body></html>"));
    expect(page.citations.map((citation) => citation.value)).toEqual(["https://example.org/a"]);
  });

  it("refuses a small PDF whose Flate stream inflates to 300 MiB, and keeps extracting", async () => {
    const bomb = await pdfBomb(300);
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const rssBefore = process.memoryUsage().rss;
    expect(await expectTooComplex(extractInSandbox({ bytes: bomb, contentType: "application/pdf" }))).toMatch(/inflate to more than 256 MiB/);
    // The inflated bytes were counted, never held: far less than the 300 MiB they would take.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(150 * 1024 * 1024);
    await expectStillExtracting();
  });

  it("refuses a PDF with more pages than the page cap", async () => {
    const pdf = buildPdf([textPage("one"), textPage("two"), textPage("three")]);
    expect(await expectTooComplex(extractInSandbox({ bytes: pdf, contentType: "application/pdf" }, limits({ maxPages: 2 })))).toMatch(/3 pages; at most 2/);
  });

  it("fails a pathologically nested HTML page within the time limit, and keeps extracting", async () => {
    const started = Date.now();
    await expectTooComplex(extractInSandbox(html(deeplyNestedHtml(50_000)), limits({ timeoutMs: 3_000 })));
    // Unsandboxed, this page held the event loop for over 90 s.
    expect(Date.now() - started).toBeLessThan(20_000);
    await expectStillExtracting();
  });

  it("fails an HTML page with a million attributes at the memory limit, and keeps extracting", async () => {
    expect(await expectTooComplex(extractInSandbox(html(manyAttributesHtml(1_000_000)), limits({ heapMb: 64 })))).toMatch(
      /more than 64 MiB of memory|longer than/,
    );
    await expectStillExtracting();
  });

  it("does not keep the process alive while idle (children are unreferenced)", async () => {
    await expectStillExtracting();
    const handles = (process as unknown as { _getActiveHandles(): Array<{ constructor: { name: string } }> })._getActiveHandles();
    expect(handles.filter((handle) => handle.constructor.name === "ChildProcess")).toHaveLength(0);
  });
});

/** Pids of this process's sandbox children, read from /proc (Linux). */
function sandboxChildPids(): number[] {
  const found: number[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const parent = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (parent === process.pid && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes("sandboxWorker")) found.push(Number(pid));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** Environments of this process's sandbox children. */
function sandboxChildEnvironments(): string[] {
  return sandboxChildPids().flatMap((pid) => {
    try {
      return [readFileSync(`/proc/${pid}/environ`, "utf8")];
    } catch {
      return [];
    }
  });
}

describe("extraction sandbox environment", () => {
  it("gives the parsing process no secrets from the environment", async () => {
    process.env["API_KEY"] = "sandbox-secret-value";
    try {
      // A heap size no other test uses: a fresh child, started while the secret is set.
      await extractInSandbox({ bytes: new TextEncoder().encode("plain words"), contentType: "text/plain" }, limits({ heapMb: 200 }));
      const environments = sandboxChildEnvironments();
      expect(environments.length).toBeGreaterThan(0);
      for (const environment of environments) {
        expect(environment).not.toContain("sandbox-secret-value");
        expect(environment).toContain("PATH=");
      }
    } finally {
      delete process.env["API_KEY"];
    }
  });
});

describe("extraction sandbox pool", () => {
  it("runs a burst of extractions on a bounded set of children instead of starting one per request", async () => {
    const page = (i: number) => html(`<html><head><title>Page ${i}</title></head><body><p>Body of page ${i}.</p></body></html>`);
    const before = sandboxChildrenStarted();
    // A bulk import asks for many extractions at once (poller concurrency); each new child costs a
    // Node start with the TypeScript loader, so the burst must wait for the pool, not grow it.
    for (let round = 0; round < 2; round++) {
      const docs = await Promise.all(Array.from({ length: 8 }, (_, i) => extractInSandbox(page(round * 8 + i))));
      expect(docs.map((doc) => doc.title)).toEqual(Array.from({ length: 8 }, (_, i) => `Page ${round * 8 + i}`));
    }
    expect(sandboxChildrenStarted() - before).toBeLessThanOrEqual(SANDBOX_POOL_SIZE);
  });

  it("frees the place of an idle child that died (killed from outside), so later extractions do not wait for it", async () => {
    await Promise.all([1, 2].map((i) => extractInSandbox(html(`<p>warm ${i}</p>`))));
    const idle = sandboxChildPids();
    expect(idle.length).toBeGreaterThan(0);
    for (const pid of idle) process.kill(pid, "SIGKILL");
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    const docs = await Promise.all([1, 2, 3, 4].map((i) => extractInSandbox(html(`<html><head><title>After ${i}</title></head><body>x</body></html>`))));
    expect(docs.map((d) => d.title)).toEqual(["After 1", "After 2", "After 3", "After 4"]);
    // A dead child handed out again would hold its request until the extraction time limit.
    expect(Date.now() - started).toBeLessThan(DEFAULT_EXTRACTION_LIMITS.timeoutMs);
  });
});
