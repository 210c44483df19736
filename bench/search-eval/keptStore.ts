/**
 * The kept store a probe reads (`npm run bench:search-latency` imported it
 * through the real pipeline into $TMPDIR/alexandria-search-latency-<pages>-encoder)
 * and the questions it can answer: those with an accepted page in the store,
 * all of them or the quick set's first 80. Shared by tuneRanking.ts and the
 * recall, embedding and re-ranking probes, so every probe scores the same set.
 *
 * Plain Node imports only: the probes set LOG_LEVEL before loading the app.
 */
import { readFileSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Question } from "../lib/searchMetrics";

export interface KeptStore {
  pages: number;
  dataDir: string;
  /** Resource id → the manual's file name. */
  ids: Map<string, string>;
  /** Questions of `questionsFile` with an accepted page in the store. */
  answerable(questionsFile: string, which?: string): Question[];
}

export function openKeptStore(docsDir: string, pagesArg: string | undefined): KeptStore {
  const files = readdirSync(docsDir).filter((f) => f.endsWith(".html"));
  const pages = Math.min(Number(pagesArg ?? 303), files.length);
  const dataDir = path.join(os.tmpdir(), `alexandria-search-latency-${pages}-encoder`);
  const ids = new Map(Object.entries(JSON.parse(readFileSync(path.join(dataDir, "bench-ids.json"), "utf8")) as Record<string, string>));
  const present = new Set(ids.values());
  return {
    pages,
    dataDir,
    ids,
    answerable(questionsFile, which = "all") {
      const all = JSON.parse(readFileSync(questionsFile, "utf8")) as Question[];
      return (which === "all" ? all : all.slice(0, 80)).filter((q) => q.accepted.some((p) => present.has(p)));
    },
  };
}
