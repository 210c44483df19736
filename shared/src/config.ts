/**
 * Configuration from the environment, parsed once and validated. Secrets
 * (API key, libSQL token) come from the environment or, on AWS, from Secrets
 * Manager through the composition root; never from code.
 */
import os from "node:os";
import path from "node:path";
import * as z from "zod";
import type { RouteOverrides } from "./events/routing";
import { parseApiKeysEnv, type UserKey } from "./security/principal";

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");

/** Where the ingestion task parses untrusted bytes: shared/src/ingest/isolation.ts. */
export const EXTRACTION_ISOLATIONS = ["process", "in-process-first"] as const;
export type ExtractionIsolation = (typeof EXTRACTION_ISOLATIONS)[number];

const envSchema = z.object({
  RUNTIME: z.enum(["local", "aws"]).default("local"),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default("127.0.0.1"),
  DATA_DIR: z.string().default("./data"),
  LIBSQL_URL: z.string().optional(),
  LIBSQL_AUTH_TOKEN: z.string().optional(),
  /** SQLite `synchronous` of a file store (docs/operations.md, "Durability"): normal (default) or full. */
  STORE_SYNCHRONOUS: z.enum(["normal", "full", "NORMAL", "FULL"]).default("normal").transform((v) => v.toLowerCase() as "normal" | "full"),
  REDIS_URL: z.string().optional(),
  REDIS_CLUSTER: bool.default(false),
  /** Prefix of every Redis key this deployment writes (cache, history, stats); lets runs share one Redis. */
  REDIS_PREFIX: z.string().regex(/^[\w:.-]*$/, "REDIS_PREFIX may contain letters, digits and _ : . - only").default("na:"),
  /** `off` disables caching (the baseline the cache benchmark compares against). */
  CACHE: z.enum(["on", "off"]).default("on"),
  API_KEY: z.string().min(8, "API_KEY must be at least 8 characters").optional(),
  /** User keys, `userId=key,...` (besides the keys file DATA_DIR/api-keys.json); see shared/src/security/principal.ts. */
  API_KEYS: z.string().optional(),
  /** Host names the local server answers for besides IP literals, localhost and HOST (comma-separated); see requestOrigin.ts. */
  ALLOWED_HOSTS: z.string().optional(),
  /** Local server: open connections at most. */
  MAX_CONNECTIONS: z.coerce.number().int().min(1).optional(),
  /** Local server: request body bytes held in memory across all requests at once. */
  MAX_BUFFERED_BYTES: z.coerce.number().int().positive().optional(),
  TASK_MODE: z.enum(["queued", "inline"]).default("queued"),
  /** Worker processes `npm start` runs (queued mode); default one per core. */
  WORKERS: z.coerce.number().int().min(1).max(256).optional(),
  /**
   * Scheduling niceness of worker processes (0 = the API's own, 19 = lowest): the workers' CPU work yields
   * to the API process and the queue server when they need a core (local/src/workers/priority.ts).
   */
  WORKER_NICE: z.coerce.number().int().min(0).max(19).default(10),
  /** On SIGTERM, how long a worker may finish the tasks it holds before it releases them (visibility 0) and exits. */
  DRAIN_GRACE_MS: z.coerce.number().int().min(0).max(15 * 60_000).default(30_000),
  EVENT_BUS_NAME: z.string().default("neo-alexandria"),
  QUEUE_PREFIX: z.string().regex(/^[a-zA-Z0-9_-]+$/).default("alexandria"),
  SQS_ENDPOINT: z.string().optional(),
  AWS_REGION: z.string().default("us-east-1"),
  /** `encoder`: the offline sentence encoder (local default); `lexical`: feature hashing (tiny machines); `bedrock`: Titan (AWS default). */
  EMBEDDER: z.enum(["encoder", "lexical", "bedrock"]).optional(),
  BEDROCK_MODEL_ID: z.string().default("amazon.titan-embed-text-v2:0"),
  ALLOW_FILE_URLS: bool.optional(),
  FILE_ALLOWED_DIRS: z.string().optional(),
  ALLOW_PRIVATE_NETWORKS: bool.default(false),
  FETCH_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
  MAX_DOCUMENT_BYTES: z.coerce.number().int().positive().default(10 * 1024 * 1024),
  /**
   * Where the ingestion task parses untrusted bytes (shared/src/ingest/isolation.ts): `process` = always in
   * the sandbox child (default); `in-process-first` = the first attempt in this process, retries in the
   * child. The stack sets `in-process-first` on its Lambdas; no default depends on RUNTIME.
   */
  EXTRACTION_ISOLATION: z.enum(EXTRACTION_ISOLATIONS).default("process"),
  /** Default depends on RUNTIME: see requestLimitFor. */
  MAX_REQUEST_BYTES: z.coerce.number().int().positive().optional(),
  /** JSON of per-task route overrides, e.g. {"embedding":{"delaySeconds":0}}. */
  ROUTE_OVERRIDES: z.string().optional(),
  /** Fault injection for tests and benchmarks only: share of task executions that fail transiently. */
  FAULT_TRANSIENT_RATE: z.coerce.number().min(0).max(1).default(0),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
});

/**
 * Largest request body the API accepts. Locally: room for a 10 MiB document
 * as JSON. On AWS the platform is stricter and answers opaquely: API Gateway
 * takes at most 10 MB per request, and Lambda at most 6 MB (6,291,456 bytes)
 * for the WHOLE invocation event, in which the body is embedded as a JSON
 * string (quotes and backslashes escaped again; binary bodies base64, +33%).
 * 4 MiB of body leaves that event room for realistic escaping and the
 * envelope, so anything larger is refused by the app with a 413 and a
 * message instead (docs/deploy.md, "Request size").
 */
export const DEFAULT_MAX_REQUEST_BYTES = { local: 15 * 1024 * 1024, aws: 4 * 1024 * 1024 } as const;

export interface AppConfig {
  runtime: "local" | "aws";
  port: number;
  host: string;
  dataDir: string;
  libsqlUrl: string;
  libsqlAuthToken: string | undefined;
  /** `PRAGMA synchronous` on a file store's connections (STORE_SYNCHRONOUS). */
  storeSynchronous: "normal" | "full";
  redisUrl: string | undefined;
  redisCluster: boolean;
  redisPrefix: string;
  cache: "on" | "off";
  apiKey: string | undefined;
  /** User keys from API_KEYS (the keys file is read by the key ring). */
  userApiKeys: UserKey[];
  allowedHosts: string[];
  maxConnections: number | undefined;
  maxBufferedBytes: number | undefined;
  taskMode: "queued" | "inline";
  workers: number;
  workerNice: number;
  drainGraceMs: number;
  eventBusName: string;
  queuePrefix: string;
  sqsEndpoint: string | undefined;
  awsRegion: string;
  embedder: "encoder" | "lexical" | "bedrock";
  bedrockModelId: string;
  fetch: {
    allowFileUrls: boolean;
    allowedFileRoots: string[];
    allowPrivateNetworks: boolean;
    timeoutMs: number;
    maxBytes: number;
  };
  maxRequestBytes: number;
  extractionIsolation: ExtractionIsolation;
  routeOverrides: RouteOverrides | undefined;
  faultTransientRate: number;
  logLevel: "debug" | "info" | "warn" | "error" | "silent";
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

function parseUserKeys(text: string | undefined): UserKey[] {
  try {
    return parseApiKeysEnv(text);
  } catch (e) {
    throw new ConfigError(`invalid configuration: ${e instanceof Error ? e.message : String(e)}`);
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new ConfigError(`invalid configuration: ${issues}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.DATA_DIR);
  const allowFileUrls = e.ALLOW_FILE_URLS ?? e.RUNTIME === "local";
  let routeOverrides: RouteOverrides | undefined;
  if (e.ROUTE_OVERRIDES) {
    try {
      routeOverrides = JSON.parse(e.ROUTE_OVERRIDES) as RouteOverrides;
    } catch {
      throw new ConfigError("invalid configuration: ROUTE_OVERRIDES is not valid JSON");
    }
  }
  return {
    runtime: e.RUNTIME,
    port: e.PORT,
    host: e.HOST,
    dataDir,
    libsqlUrl: e.LIBSQL_URL ?? `file:${path.join(dataDir, "alexandria.db")}`,
    libsqlAuthToken: e.LIBSQL_AUTH_TOKEN,
    storeSynchronous: e.STORE_SYNCHRONOUS,
    redisUrl: e.REDIS_URL,
    redisCluster: e.REDIS_CLUSTER,
    redisPrefix: e.REDIS_PREFIX,
    cache: e.CACHE,
    apiKey: e.API_KEY,
    userApiKeys: parseUserKeys(e.API_KEYS),
    allowedHosts: (e.ALLOWED_HOSTS ?? "").split(",").map((h) => h.trim().toLowerCase()).filter(Boolean),
    maxConnections: e.MAX_CONNECTIONS,
    maxBufferedBytes: e.MAX_BUFFERED_BYTES,
    taskMode: e.TASK_MODE,
    workers: e.WORKERS ?? os.availableParallelism(),
    workerNice: e.WORKER_NICE,
    drainGraceMs: e.DRAIN_GRACE_MS,
    eventBusName: e.EVENT_BUS_NAME,
    queuePrefix: e.QUEUE_PREFIX,
    sqsEndpoint: e.SQS_ENDPOINT,
    awsRegion: e.AWS_REGION,
    embedder: e.EMBEDDER ?? (e.RUNTIME === "aws" ? "bedrock" : "encoder"),
    bedrockModelId: e.BEDROCK_MODEL_ID,
    fetch: {
      allowFileUrls,
      allowedFileRoots: allowFileUrls
        ? (e.FILE_ALLOWED_DIRS ? e.FILE_ALLOWED_DIRS.split(path.delimiter) : [path.join(dataDir, "inbox")]).map((d) => path.resolve(d))
        : [],
      allowPrivateNetworks: e.ALLOW_PRIVATE_NETWORKS,
      timeoutMs: e.FETCH_TIMEOUT_MS,
      maxBytes: e.MAX_DOCUMENT_BYTES,
    },
    maxRequestBytes: e.MAX_REQUEST_BYTES ?? DEFAULT_MAX_REQUEST_BYTES[e.RUNTIME],
    extractionIsolation: e.EXTRACTION_ISOLATION,
    routeOverrides,
    faultTransientRate: e.FAULT_TRANSIENT_RATE,
    logLevel: e.LOG_LEVEL,
  };
}
