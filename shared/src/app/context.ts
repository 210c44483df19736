/**
 * Everything a use case or a task needs, assembled once per process by a
 * composition root (`functions/src/compose.ts` on AWS, `local/src/stack.ts` locally).
 */
import type { AppConfig } from "../config";
import type { Store } from "../adapters/libsql/store";
import type { Cache } from "../ports/cache";
import type { ResultRegistry } from "../ports/resultRegistry";
import type { Embedder } from "../ports/embedder";
import type { EventEmitter } from "../events/emitter";
import type { OutboxRelay } from "../outbox/outbox";
import type { Route } from "../events/routing";
import type { PopularityCounter } from "./popularity";
import type { RuntimeView } from "../observability/runtime";

export interface AppContext {
  config: AppConfig;
  store: Store;
  cache: Cache;
  /**
   * What cached vector-search results depend on, beside the cache. Without it
   * every re-embedding invalidates every cached semantic and hybrid result.
   */
  searchResults?: ResultRegistry;
  /** The configured embedder: new vectors are made with it. */
  embedder: Embedder;
  /**
   * Another embedder by id, when this process can run it: while the library is
   * re-embedded after a change of embedder, queries are embedded with the one
   * whose vectors still serve (app/embedderSwitch.ts).
   */
  embedderById?: (id: string) => Embedder | undefined;
  emitter: EventEmitter;
  relay: OutboxRelay;
  /** The routing table in force (requirement values, or test overrides). */
  routes: Route[];
  /** Counts reads and queries for cache warming; absent in one-shot runs. */
  popularity?: PopularityCounter;
  /** Queues, pollers and cloud views for monitoring and dead-letter replay; set by the composition root. */
  runtime?: RuntimeView;
}
