/**
 * EXTRACTION_ISOLATION (shared/src/ingest/isolation.ts): `in-process-first`
 * parses a message's first attempt in this process — with the PDF caps, the
 * wall-clock limit and the nesting guard still refusing hostile documents as
 * `document_too_complex` — and every retry in the sandbox child; `process`
 * always uses the child. Which process parsed is read from /proc (the
 * sandbox's children run `sandboxWorker`).
 */
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadConfig } from "@shared/config";
import { DocumentTooComplexError } from "@shared/ingest/errors";
import { DEFAULT_EXTRACTION_LIMITS, type ExtractionLimits } from "@shared/ingest/extractionLimits";
import { extractInProcess, extractUntrusted } from "@shared/ingest/isolation";
import { sharedEnvironment } from "@infra/lib/function-environment";
import { buildPdf, pdfBomb, textPage } from "../../helpers/hostileDocuments";

const limits = (overrides: Partial<ExtractionLimits>): ExtractionLimits => ({ ...DEFAULT_EXTRACTION_LIMITS, ...overrides });
const twoPages = () => ({ bytes: buildPdf([textPage("First page text"), textPage("Second page text")]), contentType: "application/pdf" });

/** Pids of this process's extraction sandbox children (idle ones included). */
function sandboxChildren(): number[] {
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

async function tooComplex(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(DocumentTooComplexError);
  return (error as Error).message;
}

describe("extraction isolation", () => {
  it("is the child process unless configured otherwise, and in-process-first on the stack's functions", () => {
    expect(loadConfig({}).extractionIsolation).toBe("process");
    expect(loadConfig({ RUNTIME: "aws" }).extractionIsolation).toBe("process");
    const lambda = sharedEnvironment({ prefix: "p", eventBusName: "b", libsqlSecretArn: "arn", redisUrl: "rediss://x:6379" });
    expect(loadConfig(lambda).extractionIsolation).toBe("in-process-first");
    expect(() => loadConfig({ EXTRACTION_ISOLATION: "none" })).toThrow(/EXTRACTION_ISOLATION/);
  });

  it("in-process-first: the first attempt parses in this process, without forking", async () => {
    const before = sandboxChildren();
    const doc = await extractUntrusted(twoPages(), { isolation: "in-process-first", attempt: 1 });
    expect(doc.text).toContain("Second page text");
    expect(sandboxChildren()).toEqual(before);
  });

  it("in process, refuses a small PDF that inflates to 300 MiB without holding the bytes", async () => {
    const bomb = await pdfBomb(300);
    const rssBefore = process.memoryUsage().rss;
    expect(await tooComplex(extractUntrusted({ bytes: bomb, contentType: "application/pdf" }, { isolation: "in-process-first", attempt: 1 }))).toMatch(
      /inflate to more than 256 MiB/,
    );
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(150 * 1024 * 1024);
    expect(sandboxChildren()).toEqual([]);
  });

  it("in process, refuses a PDF over the page cap and one that takes longer than the time limit", async () => {
    const pdf = buildPdf([textPage("one"), textPage("two"), textPage("three")]);
    expect(await tooComplex(extractInProcess({ bytes: pdf, contentType: "application/pdf" }, limits({ maxPages: 2 })))).toMatch(/3 pages; at most 2/);
    // Any real parse takes more than a millisecond: the deadline (or the check after it) fails the document.
    expect(await tooComplex(extractInProcess(twoPages(), limits({ timeoutMs: 1 })))).toMatch(/took longer than/);
    // And the process goes on extracting.
    expect((await extractInProcess(twoPages())).text).toContain("First page text");
  });

  it("in-process-first: a retry goes through the child sandbox", async () => {
    const before = sandboxChildren();
    // A heap size no other extraction here uses: a fresh child.
    const doc = await extractUntrusted(twoPages(), { isolation: "in-process-first", attempt: 2 }, limits({ heapMb: 208 }));
    expect(doc.text).toContain("First page text");
    expect(sandboxChildren().filter((pid) => !before.includes(pid))).toHaveLength(1);
  });

  it("process: even the first attempt goes through the child sandbox", async () => {
    const before = sandboxChildren();
    await extractUntrusted({ bytes: new TextEncoder().encode("plain words"), contentType: "text/plain" }, { isolation: "process", attempt: 1 }, limits({ heapMb: 212 }));
    expect(sandboxChildren().filter((pid) => !before.includes(pid))).toHaveLength(1);
  });
});
