/**
 * The passage vectors of one embedder laid end to end in one WebAssembly
 * memory, so that the SIMD dot products (util/simdDots.ts) read them in one
 * pass, with each row's facts (resource, ordinal, revision, norm) in typed
 * arrays beside it. Rows are put in slots; a removed row's slot is marked
 * free and reused by the next row, so the slab never needs compacting.
 *
 * Layout (bytes): the query at 0 (one stride), the slots from one stride on,
 * and the scores of the last scan after the last slot.
 */
import { DOT_LANES, dotsOver, type DotsFunction } from "../util/simdDots";

const PAGE = 65_536;

export class VectorSlab {
  /** Floats per row as stored: the dimensions rounded up to the SIMD step, zeros after. */
  readonly stride: number;
  /** Slots in use or free (the scan covers them all; free ones are skipped by their resource, -1). */
  slots = 0;
  /** Resources by index (a slot names its resource by index, so the scan compares numbers). */
  readonly resources: string[] = [];
  readonly #resourceIndex = new Map<string, number>();
  resource = new Int32Array(0);
  ordinal = new Int32Array(0);
  contentRevision = new Float64Array(0);
  norm = new Float64Array(0);
  rowId = new Float64Array(0);
  readonly #free: number[] = [];
  readonly #memory: WebAssembly.Memory;
  readonly #dots: DotsFunction;
  #floats: Float32Array;

  constructor(readonly dimensions: number, options: { forceJs?: boolean } = {}) {
    this.stride = Math.ceil(dimensions / DOT_LANES) * DOT_LANES;
    this.#memory = new WebAssembly.Memory({ initial: 1 });
    this.#dots = dotsOver(this.#memory, options);
    this.#floats = new Float32Array(this.#memory.buffer);
  }

  /** The floats of the memory (a new view after the memory grew). */
  get floats(): Float32Array {
    if (this.#floats.buffer !== this.#memory.buffer) this.#floats = new Float32Array(this.#memory.buffer);
    return this.#floats;
  }

  /** Where slot `slot`'s floats start, in floats. */
  offsetOf(slot: number): number {
    return this.stride * (1 + slot);
  }

  /** Stores a row in a free slot (or a new one) and returns the slot. */
  add(row: { rowId: number; resourceId: string; ordinal: number; contentRevision: number; vector: Float32Array; norm: number }): number {
    const slot = this.#free.pop() ?? this.#newSlot();
    const at = this.offsetOf(slot);
    const floats = this.floats;
    floats.set(row.vector, at);
    floats.fill(0, at + row.vector.length, at + this.stride);
    let index = this.#resourceIndex.get(row.resourceId);
    if (index === undefined) {
      index = this.resources.push(row.resourceId) - 1;
      this.#resourceIndex.set(row.resourceId, index);
    }
    this.resource[slot] = index;
    this.ordinal[slot] = row.ordinal;
    this.contentRevision[slot] = row.contentRevision;
    this.norm[slot] = row.norm;
    this.rowId[slot] = row.rowId;
    return slot;
  }

  remove(slot: number): void {
    this.resource[slot] = -1;
    this.norm[slot] = 0;
    this.#free.push(slot);
  }

  /** The index of resource `id`, or undefined when no row of it was ever held. */
  resourceIndex(id: string): number | undefined {
    return this.#resourceIndex.get(id);
  }

  /**
   * Writes `query` (of `dimensions` floats) in place and returns the
   * approximate dot product of every slot with it (float32 sums:
   * util/simdDots.ts `dotErrorBound`), indexed by slot; valid until the next call.
   */
  approximateDots(query: Float32Array): Float32Array {
    this.#ensureBytes(4 * (this.offsetOf(this.slots) + this.slots));
    const floats = this.floats;
    floats.set(query, 0);
    floats.fill(0, query.length, this.stride);
    const out = this.offsetOf(this.slots);
    this.#dots(0, 4 * this.stride, this.slots, 4 * this.stride, 4 * out);
    return floats.subarray(out, out + this.slots);
  }

  #newSlot(): number {
    const slot = this.slots++;
    this.#ensureBytes(4 * this.offsetOf(this.slots));
    if (slot >= this.resource.length) {
      const capacity = Math.max(1024, 2 * this.resource.length);
      this.resource = grown(this.resource, new Int32Array(capacity));
      this.ordinal = grown(this.ordinal, new Int32Array(capacity));
      this.contentRevision = grown(this.contentRevision, new Float64Array(capacity));
      this.norm = grown(this.norm, new Float64Array(capacity));
      this.rowId = grown(this.rowId, new Float64Array(capacity));
    }
    return slot;
  }

  #ensureBytes(bytes: number): void {
    const have = this.#memory.buffer.byteLength;
    // Grown by half again at least, so that adding rows one by one copies the slab only a few times.
    if (bytes > have) this.#memory.grow(Math.ceil(Math.max(bytes - have, have / 2) / PAGE));
  }
}

function grown<T extends Int32Array | Float64Array>(old: T, bigger: T): T {
  bigger.set(old as never);
  return bigger;
}
