/**
 * What is deployed is what is tested (docs/architecture.md, "The deployed artifact is the tested artifact"): the bundles `cdk
 * synth` wrote run in child Node processes exactly as Lambda would start them
 * (the template's environment, the function's role), against local parts
 * (bundleHarness.ts), and are invoked with the events API Gateway, an
 * EventBridge→SQS event source mapping and EventBridge Scheduler send.
 *
 * Checked: the API answers health, create, get and search in all three modes;
 * the ingestion, search-index and embedding consumers process what the bus
 * rules route to them with no failed item; every scheduled job runs; precise
 * search-cache invalidation holds (an unrelated index update leaves a cached
 * keyword result cached, and no function reports a degraded mode); every AWS
 * call a function made is allowed by its role in the template; eight API
 * containers starting at once on an empty database all come up.
 *
 * Cold-start figures (import + first call) are printed, not asserted.
 */
import { readFileSync } from "node:fs";
import { createClient } from "@libsql/client/web";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import journal from "../../shared/migrations/meta/_journal.json";
import { DEFAULT_MAX_REQUEST_BYTES } from "@shared/config";
import { dlqName, queueName, TaskNames } from "@shared/events/routing";
import { pdfBomb } from "../helpers/hostileDocuments";
import type { Invocation } from "../helpers/lambdaProcess";
import { startHarness, type Harness, type RunningFunction } from "./bundleHarness";
import { REGION, ACCOUNT, type TemplateJson } from "./deployment";
import type { SynthContext } from "./synth";

const PREFIX = "alexandria";
const PDF_FIXTURE = new URL("../fixtures/ingest/pdf/groff-meintro-p1-3.pdf", import.meta.url);

interface Figure {
  fn: string;
  initMs: number;
  firstCallMs: number;
}

export function describeDeployedBundles(ctx: SynthContext): void {
  describe("deployed bundles, run as Lambda runs them", () => {
    let h: Harness;
    const figures: Figure[] = [];
    const firstCall = new Map<RunningFunction, boolean>();
    const invoke = async <R>(fn: RunningFunction, event: unknown): Promise<Invocation<R>> => {
      const out = await fn.invoke<R>(event);
      if (!firstCall.has(fn)) {
        firstCall.set(fn, true);
        figures.push({ fn: fn.name, initMs: fn.initMs, firstCallMs: out.durationMs });
      }
      return out;
    };
    const http = async (api: RunningFunction, method: string, path: string, options: { query?: Record<string, string>; body?: unknown } = {}) => {
      const out = await invoke<APIGatewayProxyStructuredResultV2>(api, httpEvent(method, path, options));
      if (out.error) throw new Error(`${method} ${path} threw: ${out.error.message}\n${out.lines.join("\n")}`);
      const res = out.result ?? {};
      return { status: res.statusCode ?? 0, body: res.body ? (JSON.parse(res.body) as Record<string, unknown>) : {}, lines: out.lines };
    };
    /**
     * The bus and the event source mappings until nothing moves: published events go to the queues
     * their rules target, each queue with messages wakes its route's consumer (one container per
     * route, started on first need), and every item of every batch must succeed.
     */
    const consumers = new Map<string, RunningFunction>();
    const woken = new Set<string>();
    const settle = async () => {
      for (let round = 0; round < 20; round++) {
        let moved = await h.deliver();
        for (const task of TaskNames) {
          const consumer = async () => {
            let fn = consumers.get(task);
            if (!fn) consumers.set(task, (fn = await h.startFunction(`${PREFIX}-task-${task}`)));
            return fn;
          };
          for (let out = await h.drain(queueName(task, PREFIX), consumer); out; out = await h.drain(queueName(task, PREFIX), consumer)) {
            const { consumer: fn, invocation } = out;
            if (!firstCall.has(fn)) {
              firstCall.set(fn, true);
              figures.push({ fn: fn.name, initMs: fn.initMs, firstCallMs: invocation.durationMs });
            }
            expect(invocation.error, `${task} consumer threw: ${invocation.error?.message}\n${invocation.lines.join("\n")}\n${fn.stderr()}`).toBeUndefined();
            expect(invocation.result?.batchItemFailures, `${task} reported failed items:\n${invocation.lines.join("\n")}`).toEqual([]);
            degradedIn(invocation.lines, `${task} consumer`);
            woken.add(task);
            moved++;
          }
        }
        if (moved === 0) return;
      }
      throw new Error("the pipeline did not settle in 20 rounds");
    };

    beforeAll(async () => {
      h = await startHarness(ctx.synth.template.toJSON() as TemplateJson, ctx.synth.outdir);
    }, 60_000);

    afterAll(async () => {
      if (figures.length > 0) {
        console.log(
          "Cold starts (this machine, x86; Lambda runs arm64):\n" +
            figures.map((f) => `  ${f.fn.padEnd(34)} import ${f.initMs.toFixed(0).padStart(5)} ms  first call ${f.firstCallMs.toFixed(0).padStart(5)} ms  total ${(f.initMs + f.firstCallMs).toFixed(0).padStart(5)} ms`).join("\n"),
        );
      }
      await h?.dispose();
    }, 60_000);

    it("serve the library: API, consumers fed through the bus rules, and every scheduled job", async () => {
      const api = await h.startFunction(`${PREFIX}-api`);
      const health = await http(api, "GET", "/health");
      expect(health.status, `${JSON.stringify(health.body)}\n${health.lines.join("\n")}`).toBe(200);

      // Platform limits: a body the Lambda event could not carry is refused by the app itself, with a message.
      const tooBig = await http(api, "POST", "/resources", { body: { title: "Too big", content: "x".repeat(DEFAULT_MAX_REQUEST_BYTES.aws) } });
      expect(tooBig.status).toBe(413);
      expect(String(tooBig.body.error)).toContain(`at most ${DEFAULT_MAX_REQUEST_BYTES.aws} bytes`);

      const lighthouse = await http(api, "POST", "/resources", {
        body: { title: "Lighthouse keepers", content: "Lighthouse keepers trimmed the lamp wicks every evening and logged passing ships in the harbour." },
      });
      expect(lighthouse.status, JSON.stringify(lighthouse.body)).toBe(202);
      const id = String(lighthouse.body.id);
      expect((await http(api, "GET", `/resources/${id}`)).status).toBe(200);

      // A PDF and an HTML page: their extractors load on first use (PDF.js from beside the bundle).
      const pdf = await http(api, "POST", "/resources", { body: { content: readFileSync(PDF_FIXTURE).toString("base64"), contentType: "application/pdf" } });
      expect(pdf.status, JSON.stringify(pdf.body)).toBe(202);
      const page = await http(api, "POST", "/resources", {
        body: { contentType: "text/html", content: "<html><head><title>Tide tables</title></head><body><main><h1>Tide tables</h1><p>Mariners read tide tables before crossing the sandbar at the estuary mouth.</p></main></body></html>" },
      });
      expect(page.status, JSON.stringify(page.body)).toBe(202);

      await settle();
      // At least the ingestion, search-index and embedding routes ran (others as the rules decide).
      expect([...woken]).toEqual(expect.arrayContaining(["ingestion", "search-index", "embedding"]));

      const view = await http(api, "GET", `/resources/${id}`);
      expect((view.body.ingestion as { status: string }).status).toBe("completed");
      for (const mode of ["keyword", "semantic", "hybrid"]) {
        const found = await http(api, "GET", "/search", { query: { q: "lighthouse keepers", mode } });
        expect(found.status, `${mode}: ${JSON.stringify(found.body)}`).toBe(200);
        expect((found.body.results as Array<{ id: string }>).map((r) => r.id), mode).toContain(id);
      }

      for (const [other, query] of [[pdf, "groff papers"], [page, "sandbar estuary"]] as const) {
        const otherId = String(other.body.id);
        expect(((await http(api, "GET", `/resources/${otherId}`)).body.ingestion as { status: string }).status, query).toBe("completed");
        const hits = await http(api, "GET", "/search", { query: { q: query, mode: "keyword" } });
        expect((hits.body.results as Array<{ id: string }>).map((r) => r.id), query).toContain(otherId);
      }

      // Precise invalidation: indexing an unrelated document leaves the cached keyword result cached.
      const cachedQuery = { q: "harbour ships", mode: "keyword" };
      await http(api, "GET", "/search", { query: cachedQuery });
      expect(cacheReads((await http(api, "GET", "/search", { query: cachedQuery })).lines)).toEqual({ hits: 1, misses: 0 });
      const volcano = await http(api, "POST", "/resources", { body: { title: "Volcanoes", content: "Basalt lava flows cooled into columns along the volcanic coast." } });
      expect(volcano.status).toBe(202);
      await settle();
      const again = await http(api, "GET", "/search", { query: cachedQuery });
      expect(cacheReads(again.lines), "an unrelated index update evicted a cached keyword result").toEqual({ hits: 1, misses: 0 });
      expect((again.body.results as Array<{ id: string }>).map((r) => r.id)).toEqual([id]);

      const jobs = await h.startFunction(`${PREFIX}-jobs`);
      const inputs = h.deployment.scheduleInputs();
      expect(Object.keys(inputs).length).toBeGreaterThan(0);
      for (const [schedule, input] of Object.entries(inputs)) {
        const out = await invoke<Record<string, unknown>>(jobs, input);
        expect(out.error, `${schedule}: ${out.error?.message}\n${out.lines.join("\n")}`).toBeUndefined();
        degradedIn(out.lines, schedule);
      }
      for (const fn of [api, jobs, ...consumers.values()]) degradedIn(fn.initLines, fn.name);
    }, 240_000);

    it("refuse a PDF bomb in the ingestion function's own process (first attempt: no sandbox child), as document_too_complex", async () => {
      const api = await h.startFunction(`${PREFIX}-api`);
      const bomb = await pdfBomb(300);
      const created = await http(api, "POST", "/resources", { body: { content: Buffer.from(bomb).toString("base64"), contentType: "application/pdf" } });
      expect(created.status, JSON.stringify(created.body)).toBe(202);
      await settle();
      const ingestion = consumers.get("ingestion");
      if (!ingestion) throw new Error("the ingestion consumer never ran");
      expect(ingestion.spec.environment.EXTRACTION_ISOLATION).toBe("in-process-first");
      expect(ingestion.children(), "the ingestion function forked a child").toEqual([]);
      const view = await http(api, "GET", `/resources/${String(created.body.id)}`);
      expect(view.body.ingestion, JSON.stringify(view.body)).toMatchObject({ status: "failed", error: expect.stringMatching(/^document_too_complex/) });
      await api.stop();
    }, 120_000);

    it("count a throttled embedding model as a degraded mode, and keep the message for a retry", async () => {
      const api = await h.startFunction(`${PREFIX}-api`);
      const created = await http(api, "POST", "/resources", { body: { title: "Tides", content: "Spring tides follow the new and full moon." } });
      await settle();
      h.aws.throttleBedrock(true);
      const patched = await http(api, "PATCH", `/resources/${String(created.body.id)}`, { body: { content: "Neap tides follow the quarter moons." } });
      // A content PATCH is extracted by the ingestion task (202), which then announces the text.
      expect(patched.status, JSON.stringify(patched.body)).toBe(202);
      await h.deliver();
      const ingestion = consumers.get("ingestion");
      if (!ingestion) throw new Error("the ingestion consumer never ran");
      const ingested = await h.drain(queueName("ingestion", PREFIX), async () => ingestion);
      expect(ingested?.invocation.result?.batchItemFailures).toEqual([]);
      await h.deliver();
      const embedding = consumers.get("embedding");
      if (!embedding) throw new Error("the embedding consumer never ran");
      const out = await h.drain(queueName("embedding", PREFIX), async () => embedding);
      h.aws.throttleBedrock(false);
      expect(out?.invocation.result?.batchItemFailures).toHaveLength(1);
      const degraded = out?.invocation.lines.filter((l) => l.includes('"Degraded"')).map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(degraded).toEqual([expect.objectContaining({ Mode: "embedder-throttled", Degraded: 1 })]);
      await api.stop();
    }, 120_000);

    it("made only AWS calls their roles allow", () => {
      expect(h.aws.calls.length).toBeGreaterThan(0);
      const callers = new Set(h.aws.calls.map((c) => c.principal));
      expect(callers.size).toBeGreaterThanOrEqual(4);
      for (const call of h.aws.calls) {
        for (const [action, arn] of iamRequests(call)) {
          expect(h.deployment.allows(call.principal, action, arn), `${call.principal} called ${action} on ${arn}`).toBe(true);
        }
      }
      // The consumers' own DLQs exist in the template under the names the routing table gives them.
      expect(h.deployment.queues().map((q) => q.name)).toContain(dlqName("search-index", PREFIX));
    });

    it("come up as eight API containers cold-starting at once on an empty database", async () => {
      await h.useFreshDatabase();
      const apis = await Promise.all(Array.from({ length: 8 }, () => h.startFunction(`${PREFIX}-api`)));
      const answers = await Promise.all(apis.map((api) => api.invoke<APIGatewayProxyStructuredResultV2>(httpEvent("GET", "/health"))));
      answers.forEach((a, i) => expect(a.result?.statusCode, `container ${i}: ${a.error?.message ?? a.result?.body}\n${a.lines.join("\n")}`).toBe(200));
      const db = createClient({ url: h.libsql.url, authToken: h.libsql.authToken });
      try {
        const applied = await db.execute("SELECT count(*) AS n FROM __drizzle_migrations");
        expect(Number(applied.rows[0]?.n)).toBe(journal.entries.length);
        const tables = await db.execute("SELECT name FROM sqlite_master WHERE name IN ('resources', 'resources_fts', 'resource_embeddings')");
        expect(tables.rows.length).toBe(3);
      } finally {
        db.close();
      }
      await Promise.all(apis.map((api) => api.stop()));
    }, 180_000);
  });
}

/** An API Gateway HTTP API (payload 2.0) request event. */
export function httpEvent(method: string, path: string, options: { query?: Record<string, string>; body?: unknown; headers?: Record<string, string> } = {}): APIGatewayProxyEventV2 {
  const rawQueryString = new URLSearchParams(options.query ?? {}).toString();
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const now = new Date();
  return {
    version: "2.0",
    routeKey: path === "/health" ? "GET /health" : "ANY /{proxy+}",
    rawPath: path,
    rawQueryString,
    headers: { host: "api.example.com", "user-agent": "bundle-test", ...(body ? { "content-type": "application/json" } : {}), ...options.headers },
    ...(options.query ? { queryStringParameters: options.query } : {}),
    ...(path === "/health" ? {} : { pathParameters: { proxy: path.slice(1) } }),
    requestContext: {
      accountId: ACCOUNT,
      apiId: "local",
      domainName: "api.example.com",
      domainPrefix: "api",
      http: { method, path, protocol: "HTTP/1.1", sourceIp: "127.0.0.1", userAgent: "bundle-test" },
      requestId: `${now.getTime()}`,
      routeKey: path === "/health" ? "GET /health" : "ANY /{proxy+}",
      stage: "$default",
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...(body !== undefined ? { body, isBase64Encoded: false } : { isBase64Encoded: false }),
  };
}

interface EmfLine {
  _aws?: { CloudWatchMetrics?: Array<{ Metrics: Array<{ Name: string }> }> };
  [k: string]: unknown;
}

/** Values of an EMF metric in stdout lines (summed over lines and array values). */
export function emfSum(lines: readonly string[], metric: string): number {
  let sum = 0;
  for (const line of lines) {
    if (!line.startsWith("{") || !line.includes('"_aws"')) continue;
    const emf = JSON.parse(line) as EmfLine;
    if (!emf._aws?.CloudWatchMetrics?.some((d) => d.Metrics.some((m) => m.Name === metric))) continue;
    for (const v of ([] as unknown[]).concat(emf[metric])) sum += Number(v);
  }
  return sum;
}

function cacheReads(lines: readonly string[]): { hits: number; misses: number } {
  return { hits: emfSum(lines, "CacheHits"), misses: emfSum(lines, "CacheMisses") };
}

/** Fails when a function reported a degraded mode (EMF metric `Degraded`). */
function degradedIn(lines: readonly string[], who: string): void {
  expect(emfSum(lines, "Degraded"), `${who} reported a degraded mode:\n${lines.filter((l) => l.includes("Degraded")).join("\n")}`).toBe(0);
}

/** The IAM action(s) and resource ARN(s) one recorded call needs. */
function iamRequests(call: { service: string; action: string; input: Record<string, unknown> }): Array<[string, string]> {
  const action = `${call.service}:${call.action}`;
  switch (call.service) {
    case "sqs": {
      const name = typeof call.input.QueueUrl === "string" ? call.input.QueueUrl.split("/").pop() : call.input.QueueName;
      return [[action, name ? `arn:aws:sqs:${REGION}:${ACCOUNT}:${String(name)}` : "*"]];
    }
    case "secretsmanager":
      return [[action, String(call.input.SecretId)]];
    case "events":
      return ((call.input.Entries ?? []) as Array<{ EventBusName?: string }>).map((e) => [action, `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${e.EventBusName ?? "default"}`]);
    case "bedrock":
      return [[action, `arn:aws:bedrock:${REGION}::foundation-model/${String(call.input.modelId)}`]];
    default:
      return [[action, "*"]];
  }
}
