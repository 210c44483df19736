/**
 * The floor of issue 14: what the machine can do with the pipeline's own CPU
 * work and nothing else. The same pages go through the code the tasks run —
 * extraction in the sandbox and the near-duplicate fingerprint (ingestion),
 * passages and vectors with the configured embedder (embedding), the active
 * classifier (classification), the quality score (quality) — one document at
 * a time in this process, with no queues, no store writes and no HTTP; the
 * docs/s that gives, times the core count, is the floor an end-to-end import
 * is compared with.
 */
import os from "node:os";
import path from "node:path";
import { rmSync } from "node:fs";
import { loadConfig } from "@shared/config";
import { Store } from "@shared/adapters/libsql/store";
import { extractInSandbox } from "@shared/ingest/sandbox";
import { fingerprintOf } from "@shared/domain/fingerprint";
import { splitPassages, textsForMeaning } from "@shared/domain/passages";
import { l2NormalizeInPlace } from "@shared/domain/vectors";
import { predict } from "@shared/domain/classifier";
import { computeQuality } from "@shared/domain/quality";
import { activeModel } from "@shared/app/classifierModels";
import { sha256 } from "@shared/util/ids";
import type { AppContext } from "@shared/app/context";
import { createLocalEmbedders } from "@local/embedders";
import { tempDir } from "./stack";
import { round } from "./stats";

export interface Floor {
  documents: number;
  /** Sequential, one process. */
  docsPerSecondOneCore: number;
  cores: number;
  /** docsPerSecondOneCore × cores. */
  docsPerSecond: number;
  /** CPU of this process (every thread, the encoder's included) per timed document; the sandbox child's extraction is not in it. */
  cpuMsPerDoc: number;
  /** Mean ms per document by step. */
  msPerDoc: { extraction: number; embedding: number; classification: number; quality: number };
}

/** Runs `warm` then `contents` (HTML) through the pipeline's CPU work, sequentially; only `contents` is timed. */
export async function measureFloor(warm: readonly string[], contents: readonly string[]): Promise<Floor> {
  const config = loadConfig();
  const embedders = createLocalEmbedders(config);
  // The classifier model comes from a store the first time (the shipped seed); loaded once, not timed.
  const dir = tempDir("floor");
  const store = Store.open({ url: `file:${path.join(dir, "floor.db")}` });
  try {
    await store.migrate();
    const { model } = await activeModel({ store } as unknown as AppContext);
    const steps = { extraction: 0, embedding: 0, classification: 0, quality: 0 };
    let t0 = 0;
    let cpu0 = process.cpuUsage();
    const all = [...warm, ...contents];
    for (const [i, html] of all.entries()) {
      if (i === warm.length) {
        for (const k of Object.keys(steps) as Array<keyof typeof steps>) steps[k] = 0;
        t0 = performance.now();
        cpu0 = process.cpuUsage();
      }
      let t = performance.now();
      // ingestion
      const doc = await extractInSandbox({ bytes: new TextEncoder().encode(html), contentType: "text/html", url: null });
      sha256(doc.text);
      fingerprintOf(doc.text);
      steps.extraction += performance.now() - t;
      // embedding
      t = performance.now();
      const texts = textsForMeaning(doc.title, splitPassages(doc.text)).map((x) => ({ ...x, textHash: sha256(x.text) }));
      const vectors = await embedders.embedder.embed(texts.map((x) => x.text));
      const sum = new Float32Array(embedders.embedder.dimensions);
      for (const v of vectors) for (let d = 0; d < sum.length; d++) sum[d] = sum[d]! + (v[d] ?? 0);
      l2NormalizeInPlace(sum);
      steps.embedding += performance.now() - t;
      // classification
      t = performance.now();
      predict(model, `${doc.title ?? ""}\n${doc.description ?? ""}\n${doc.text}`, 3);
      steps.classification += performance.now() - t;
      // quality
      t = performance.now();
      computeQuality({ title: doc.title, description: doc.description, authors: doc.authors, text: doc.text, language: doc.language, citationCount: doc.citations.length, source: null, url: null, contentType: doc.contentType });
      steps.quality += performance.now() - t;
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const n = contents.length;
    const oneCore = round(n / seconds, 2);
    const cores = os.availableParallelism();
    return {
      documents: n,
      docsPerSecondOneCore: oneCore,
      cores,
      docsPerSecond: round(oneCore * cores, 2),
      cpuMsPerDoc: round((cpu.user + cpu.system) / 1000 / n),
      msPerDoc: { extraction: round(steps.extraction / n), embedding: round(steps.embedding / n), classification: round(steps.classification / n), quality: round(steps.quality / n) },
    };
  } finally {
    store.close();
    await embedders.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
