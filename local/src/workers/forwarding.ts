/**
 * What a worker process under `npm start` sends to the API process, because
 * without Redis some state lives in the API process alone:
 *
 * - cache invalidations: the API's in-process cache (L1) serves the reads, so
 *   a task's invalidation must reach it before the task reports done. With
 *   Redis the generation stamps there already reach every process, and no
 *   forwarding is needed.
 * - the search-result registry (which cached results a change affects) is
 *   filled by the API's searches: a worker asks the API's.
 * - emitted events: the API's emitter keeps the history and feeds `/metrics`,
 *   so a worker forwards each event it emits (batched per tick) and the API
 *   emits it again with the same id, time and correlation id.
 */
import type { AppConfig } from "@shared/config";
import type { Cache, CacheStats, CacheType, InvalidationRequest, Loader } from "@shared/ports/cache";
import { CacheUnavailableError } from "@shared/ports/cache";
import type { Affected, ResourceChange, ResultDependency, ResultRegistry } from "@shared/ports/resultRegistry";
import type { EmittedEvent, EventEmitter, HistorySink } from "@shared/events/emitter";
import { TwoLayerCache } from "@shared/cache";
import { createCaching, type Caching } from "@shared/adapters/cacheFactory";
import { errorMessage } from "@shared/errors";
import type { AppContext } from "@shared/app/context";
import type { IpcPeer } from "./ipc";

export const Calls = {
  invalidate: "cache.invalidate",
  reserve: "results.reserve",
  record: "results.record",
  affectedBy: "results.affectedBy",
  runJob: "job.run",
} as const;

export const Notes = {
  ready: "ready",
  report: "report",
  events: "events",
  drain: "drain",
} as const;

/** Keeps its own L1 for what the worker reads (embeddings by content hash); invalidations also go to the API. */
export class ForwardingCache implements Cache {
  constructor(
    private readonly local: Cache,
    private readonly peer: IpcPeer,
  ) {}

  get<T>(type: CacheType, key: string): Promise<T | undefined> {
    return this.local.get<T>(type, key);
  }
  set<T>(type: CacheType, key: string, value: T, options?: { tags?: string[]; ttlSeconds?: number }): Promise<void> {
    return this.local.set(type, key, value, options);
  }
  getOrLoad<T>(type: CacheType, key: string, load: Loader<T>, options?: { tags?: string[]; ttlSeconds?: number }): Promise<T> {
    return this.local.getOrLoad(type, key, load, options);
  }
  async invalidate(request: InvalidationRequest): Promise<void> {
    await this.local.invalidate(request);
    try {
      await this.peer.call(Calls.invalidate, request);
    } catch (e) {
      // The caller's durable fallback (the cache-invalidation queue) takes over, as when Redis is down.
      throw new CacheUnavailableError(`the API process did not confirm the invalidation: ${errorMessage(e)}`);
    }
  }
  stats(): Promise<CacheStats> {
    return this.local.stats();
  }
  close(): Promise<void> {
    return this.local.close();
  }
}

/**
 * A resource's vectors as they cross the IPC channel: float32 bytes in
 * base64, not JSON numbers. A large page has hundreds of 512-number vectors;
 * as JSON that is megabytes of digits the API process must parse on its
 * event loop (measured: /health stalled for over a second during an import);
 * as one string it is a quarter of the size and a copy to decode. The vectors
 * are float32 to begin with (the embedders return Float32Array), so nothing
 * is lost.
 */
export interface PackedVectors {
  count: number;
  dimensions: number;
  base64: string;
}

export function packVectors(vectors: ReadonlyArray<readonly number[]>): PackedVectors {
  const dimensions = vectors[0]?.length ?? 0;
  const flat = new Float32Array(vectors.length * dimensions);
  vectors.forEach((v, i) => {
    if (v.length !== dimensions) throw new Error(`vectors of ${v.length} and ${dimensions} dimensions in one change`);
    flat.set(v, i * dimensions);
  });
  return { count: vectors.length, dimensions, base64: Buffer.from(flat.buffer, flat.byteOffset, flat.byteLength).toString("base64") };
}

export function unpackVectors(packed: PackedVectors): number[][] {
  const bytes = Buffer.from(packed.base64, "base64");
  if (bytes.byteLength !== packed.count * packed.dimensions * 4) throw new Error("packed vectors: length does not match count × dimensions");
  // Copied into an aligned buffer: a Float32Array view needs an offset that is a multiple of 4.
  const flat = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(flat.buffer).set(bytes);
  // Plain loops: Array.from over subarrays took 3–5× as long (5–25 ms for 400 × 512 on the API's loop).
  const out = new Array<number[]>(packed.count);
  for (let i = 0; i < packed.count; i++) {
    const row = new Array<number>(packed.dimensions);
    const offset = i * packed.dimensions;
    for (let d = 0; d < packed.dimensions; d++) row[d] = flat[offset + d]!;
    out[i] = row;
  }
  return out;
}

/**
 * The change a worker sent, as the API's registry sees it: the vectors are decoded on first read, so a
 * registry with nothing recorded (no search cached: the usual case during a bulk import) never pays for it.
 */
export function receivedChange(change: PackedChange): ResourceChange {
  if (!change.vectors) return { resourceId: change.resourceId };
  const packed = change.vectors;
  let vectors: number[][] | undefined;
  return {
    resourceId: change.resourceId,
    get vectors() {
      return (vectors ??= unpackVectors(packed));
    },
  };
}

/** A ResourceChange as sent over IPC. */
export interface PackedChange {
  resourceId: string;
  vectors?: PackedVectors;
}

export class ForwardingResultRegistry implements ResultRegistry {
  constructor(private readonly peer: IpcPeer) {}
  reserve(key: string): Promise<string> {
    return this.peer.call(Calls.reserve, { key });
  }
  async record(key: string, token: string, dependency: ResultDependency): Promise<void> {
    await this.peer.call(Calls.record, { key, token, dependency });
  }
  affectedBy(change: ResourceChange): Promise<Affected[]> {
    const packed: PackedChange = { resourceId: change.resourceId, ...(change.vectors ? { vectors: packVectors(change.vectors) } : {}) };
    return this.peer.call(Calls.affectedBy, packed);
  }
}

/** The worker's caching: shared through Redis when configured, otherwise forwarded to the API process. */
export async function workerCaching(config: AppConfig, peer: IpcPeer): Promise<Caching> {
  if (config.cache === "off" || config.redisUrl) return createCaching(config);
  return { cache: new ForwardingCache(new TwoLayerCache({ redis: null }), peer), searchResults: new ForwardingResultRegistry(peer) };
}

/** Worker side: sends each emitted event to the API process, batched per tick. */
export class ForwardingHistorySink implements HistorySink {
  #batch: EmittedEvent[] = [];
  constructor(private readonly peer: IpcPeer) {}
  append(event: EmittedEvent): void {
    if (this.#batch.length === 0) setImmediate(() => this.flush());
    this.#batch.push(event);
  }
  flush(): void {
    if (this.#batch.length === 0) return;
    const batch = this.#batch;
    this.#batch = [];
    void this.peer.note(Notes.events, batch);
  }
}

/** API side: answers a worker's cache and registry calls and re-emits its events. */
export function serveWorker(peer: IpcPeer, app: AppContext): void {
  const registry = (): ResultRegistry => {
    if (!app.searchResults) throw new Error("the API process keeps no search-result registry");
    return app.searchResults;
  };
  peer
    .handle<InvalidationRequest>(Calls.invalidate, (req) => app.cache.invalidate(req))
    .handle<{ key: string }>(Calls.reserve, ({ key }) => registry().reserve(key))
    .handle<{ key: string; token: string; dependency: ResultDependency }>(Calls.record, ({ key, token, dependency }) => registry().record(key, token, dependency))
    .handle<PackedChange>(Calls.affectedBy, (change) => registry().affectedBy(receivedChange(change)))
    .onNote<EmittedEvent[]>(Notes.events, (events) => reemit(app.emitter, events));
}

function reemit(emitter: EventEmitter, events: readonly EmittedEvent[]): void {
  for (const e of events) void emitter.replay(e);
}
