// The sentence encoder's worker thread: runs Universal Sentence Encoder lite
// (TensorFlow.js, WebAssembly backend) on token ids the main thread sends, so
// no event loop (the API's or a worker's) ever waits on the model.
//
// Plain JavaScript on purpose: a worker thread starts without the TypeScript
// loader of its parent (tsx, vitest), and this file needs none.
//
// Protocol: { id, tokens: number[][] } in; { id, vectors: Float32Array } (n × 512,
// row-major, transferred) or { id, error } out. Requests run one at a time.
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import * as tf from "@tensorflow/tfjs-core";
import { loadGraphModel } from "@tensorflow/tfjs-converter";
import "@tensorflow/tfjs-backend-wasm";

const modelDir = workerData.modelDir;
let model = null;

/**
 * In a lowered worker process the model yields to the worker's own loop
 * (shared/src/util/backgroundPriority.ts, whose rule this repeats: this file
 * loads without the TypeScript loader). Called after the model's files are
 * read: threads started from this thread inherit its priority, and libuv's
 * pool (the whole process's file reads) must not be started down here.
 * Linux: pid 0 is this thread.
 */
function runBelowOwnPriority() {
  if (!(workerData.niceStep > 0)) return;
  try {
    const own = os.getPriority();
    if (own > 0) os.setPriority(0, Math.min(19, own + workerData.niceStep));
  } catch {
    // Not permitted here: the thread runs at the inherited priority.
  }
}

/** Reads model.json and its weight shards from disk: no fetch, so no network at load. */
async function load() {
  await tf.setBackend("wasm");
  await tf.ready();
  const manifest = JSON.parse(await readFile(path.join(modelDir, "model.json"), "utf8"));
  const weightSpecs = manifest.weightsManifest.flatMap((group) => group.weights);
  const shards = await Promise.all(manifest.weightsManifest.flatMap((group) => group.paths.map((p) => readFile(path.join(modelDir, p)))));
  const bytes = Buffer.concat(shards);
  const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  return loadGraphModel(tf.io.fromMemory({ modelTopology: manifest.modelTopology, weightSpecs, weightData }));
}

/** The model takes a batch as a sparse matrix: (row, position) → token id. */
async function embed(tokens) {
  if (!model) {
    model = await load();
    runBelowOwnPriority();
  }
  const indices = [];
  const values = [];
  tokens.forEach((ids, row) => ids.forEach((id, position) => {
    indices.push(row, position);
    values.push(id);
  }));
  const inputs = { indices: tf.tensor2d(indices, [values.length, 2], "int32"), values: tf.tensor1d(values, "int32") };
  try {
    const output = await model.executeAsync(inputs);
    try {
      return await output.data();
    } finally {
      output.dispose();
    }
  } finally {
    inputs.indices.dispose();
    inputs.values.dispose();
  }
}

let queue = Promise.resolve();
parentPort.on("message", (message) => {
  queue = queue.then(async () => {
    try {
      const vectors = Float32Array.from(await embed(message.tokens));
      parentPort.postMessage({ id: message.id, vectors }, [vectors.buffer]);
    } catch (error) {
      parentPort.postMessage({ id: message.id, error: error instanceof Error ? error.stack ?? error.message : String(error) });
    }
  });
});
