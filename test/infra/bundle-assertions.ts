/**
 * Every function's bundle must load on Node 24 as Lambda would load it: ESM
 * with CommonJS dependencies, no native modules, a `handler` export. This
 * catches what the template cannot show (a native binding, a bad banner).
 */
import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { LAZY_MODULES } from "@infra/lib/constructs/app-function";
import { SANDBOX_BUNDLE_FILE } from "@shared/ingest/sandbox";
import { resourcesOfType, type SynthContext } from "./synth";

/** A function's code: index.mjs and the chunks beside it (not the sandbox entry, not node_modules). */
function codeFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".mjs") && name !== SANDBOX_BUNDLE_FILE)
    .map((name) => path.join(dir, name));
}

const LOAD_SCRIPT = "import(process.argv[1]).then((m) => { if (typeof m.handler !== 'function') { console.error('no handler export'); process.exit(1); } })";

/** Declares the checks; `ctx.synth` is filled by the beforeAll of stack.test.ts. */
export function describeBundles(ctx: SynthContext): void {
  describe("function bundles", () => {
    it("load on Node 24 and export handler, with no native libSQL binding", async () => {
      const functions = Object.values(resourcesOfType(ctx.synth.template, "AWS::Lambda::Function"));
      const assets = new Set(
        functions.map((fn) => String((fn.Properties?.Code as { S3Key?: unknown } | undefined)?.S3Key ?? "").replace(/\.zip$/, "")),
      );
      expect(assets.size).toBeGreaterThanOrEqual(4);
      for (const hash of assets) {
        const bundle = path.join(ctx.synth.outdir, `asset.${hash}`, "index.mjs");
        expect(existsSync(bundle), bundle).toBe(true);
        // A clean child process: the bundle must not lean on anything vitest provides.
        await promisify(execFile)(process.execPath, ["--no-warnings", "-e", LOAD_SCRIPT, bundle], {
          cwd: path.dirname(bundle),
          env: { PATH: process.env.PATH ?? "", AWS_REGION: "us-east-1" },
          timeout: 60_000,
        });
      }
    }, 120_000);

    it("keep PDF.js out of the bundle, and beside it wherever the code may load it", () => {
      const functions = Object.values(resourcesOfType(ctx.synth.template, "AWS::Lambda::Function"));
      const dirs = new Set(functions.map((fn) => path.join(ctx.synth.outdir, `asset.${String((fn.Properties?.Code as { S3Key?: unknown }).S3Key).replace(/\.zip$/, "")}`)));
      let loaders = 0;
      let sandboxes = 0;
      for (const dir of dirs) {
        const sandboxEntry = path.join(dir, SANDBOX_BUNDLE_FILE);
        // index.mjs and the chunks it imports on first use (code splitting).
        const code = codeFiles(dir).map((file) => readFileSync(file, "utf8"));
        // The extraction sandbox forks its entry from beside the bundle: whoever refers to it ships it.
        if (code.some((text) => text.includes(SANDBOX_BUNDLE_FILE))) {
          sandboxes++;
          expect(existsSync(sandboxEntry), `${dir} forks ${SANDBOX_BUNDLE_FILE} but does not ship it`).toBe(true);
        }
        for (const file of [...codeFiles(dir), ...(existsSync(sandboxEntry) ? [sandboxEntry] : [])]) {
          const code = readFileSync(file, "utf8");
          // A PDF.js message: present only if PDF.js was bundled in.
          expect(code.includes("Invalid PDF structure"), `${file} bundles PDF.js`).toBe(false);
          for (const name of LAZY_MODULES) {
            if (!code.includes(`import("${name}")`)) continue;
            loaders++;
            expect(existsSync(path.join(dir, "node_modules", name, "index.mjs")), `${file} loads ${name} but its function does not ship it`).toBe(true);
          }
        }
      }
      expect(sandboxes).toBeGreaterThanOrEqual(1);
      expect(loaders).toBeGreaterThanOrEqual(1); // the consumers that extract (the API never parses documents)
    });

    it("leave what only some code paths need out of index.mjs, in chunks loaded on first use", () => {
      const functions = Object.values(resourcesOfType(ctx.synth.template, "AWS::Lambda::Function"));
      const dirs = new Set(functions.map((fn) => path.join(ctx.synth.outdir, `asset.${String((fn.Properties?.Code as { S3Key?: unknown }).S3Key).replace(/\.zip$/, "")}`)));
      // Strings found only in: the HTML extractor (Readability), the shipped seed classifier and its corpus, the ElastiCache client,
      // and the SDK's credential chain beyond the environment (web identity).
      const lazy = { readability: "_readabilityDataTable", seedModel: '{"format":"multinomial-naive-bayes/1"', elastiCache: "DescribeServerlessCaches", webIdentity: "AWS_WEB_IDENTITY_TOKEN_FILE", taxonomySeed: "Seed labelled corpus for the subject classifier" };
      let chunked = 0;
      for (const dir of dirs) {
        const index = readFileSync(path.join(dir, "index.mjs"), "utf8");
        for (const [what, marker] of Object.entries(lazy)) expect(index.includes(marker), `${dir}/index.mjs holds ${what}`).toBe(false);
        if (codeFiles(dir).some((file) => !file.endsWith("index.mjs") && readFileSync(file, "utf8").includes(lazy.readability))) chunked++;
      }
      expect(chunked, "the HTML extractor is a chunk of the functions that extract").toBeGreaterThanOrEqual(1);
    });
  });
}
