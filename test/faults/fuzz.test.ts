/**
 * Every endpoint of GET /openapi.json, fuzzed (issue 7): path parameters,
 * query strings and JSON bodies generated with fast-check, from the document's
 * own schemas (valid inputs) and around them (wrong types, missing and extra
 * fields, empty, huge, NUL, lone surrogates, unicode, injection strings, bodies
 * that are not JSON or not declared as JSON). The API must never answer 5xx, and
 * every 4xx must be JSON with a non-empty `error` message.
 *
 * Workers are off: the fuzzer exercises the API, not ingestion of random URLs.
 * URLs stay under 8 KB: longer request lines are refused by the HTTP server
 * (431) before any handler runs, as API Gateway does with its own limit.
 */
import http from "node:http";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestStack, type TestStack } from "../helpers/stack";

const RUNS_PER_ENDPOINT = Number(process.env.FUZZ_RUNS ?? 40);
const MAX_URL_PART = 8_000;

type Schema = Record<string, unknown>;
interface Parameter {
  name: string;
  in: "path" | "query";
  required?: boolean;
  schema?: Schema;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content?: { "application/json"?: { schema?: Schema } } };
}
interface OpenApi {
  paths: Record<string, Record<string, Operation>>;
}

type Body = { kind: "none" } | { kind: "json"; value: unknown } | { kind: "raw"; text: string; contentType: string };
interface FuzzRequest {
  path: string;
  query: Array<[string, string]>;
  body: Body;
}

const hostileStrings = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\uD800",
  "\uDFFFx\uD800",
  "💥🧨".repeat(50),
  "ǅ̸̡̛ͅZ͑͗a̷l̴g̸o",
  "\u202Eevil",
  "../../etc/passwd",
  "%00",
  "%",
  "' OR 1=1 --",
  '"; DROP TABLE resources; --',
  "<script>alert(1)</script>",
  "NaN",
  "-1",
  "0",
  "1e309",
  "9999999999999999999999",
  "null",
  "{}",
  "[]",
  "AND OR NEAR(",
  "*",
  "x".repeat(MAX_URL_PART),
];

const hostileString = fc.oneof(
  fc.constantFrom(...hostileStrings),
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.string({ unit: "grapheme", maxLength: 100 }),
  fc.string({ maxLength: 50 }),
);

const wrongType: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
  hostileString,
);

/** Ids that exist (filled in beforeAll), used for body fields of the same name so valid requests reach the use cases. */
const known: Record<string, string> = {};

/** Values that satisfy a (zod-generated) JSON schema, most of the time. */
function valid(schema: Schema | undefined, name = "", depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 4) return fc.jsonValue({ maxDepth: 2 });
  const knownValue = known[name];
  if (knownValue !== undefined && depth > 0) return fc.oneof({ weight: 2, arbitrary: fc.constant(knownValue) }, { weight: 1, arbitrary: valid(schema, "", depth) });
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  if ("const" in schema) return fc.constant(schema.const);
  for (const k of ["anyOf", "oneOf"] as const) {
    if (Array.isArray(schema[k])) return fc.oneof(...(schema[k] as Schema[]).map((s) => valid(s, name, depth + 1)));
  }
  const min = typeof schema.minimum === "number" ? schema.minimum : -1_000;
  const max = typeof schema.maximum === "number" ? schema.maximum : 1_000;
  switch (schema.type) {
    case "string": {
      const minLength = typeof schema.minLength === "number" ? schema.minLength : 0;
      const maxLength = Math.min(typeof schema.maxLength === "number" ? schema.maxLength : 200, 200);
      if (/url/i.test(name)) return fc.oneof(fc.webUrl(), fc.constantFrom("file:///etc/hostname", "http://127.0.0.1/x", "https://example.org/a"));
      if (typeof schema.pattern === "string") {
        return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= Math.max(1, minLength) && s.length <= maxLength);
      }
      return fc.string({ unit: "grapheme", minLength: Math.max(1, minLength), maxLength: Math.max(minLength, maxLength) });
    }
    case "integer":
      return fc.integer({ min: Math.ceil(min), max: Math.floor(max) });
    case "number":
      return fc.double({ min, max, noNaN: true });
    case "boolean":
      return fc.boolean();
    case "array": {
      const maxItems = Math.min(typeof schema.maxItems === "number" ? schema.maxItems : 5, 5);
      const minItems = Math.min(typeof schema.minItems === "number" ? schema.minItems : 0, maxItems);
      return fc.array(valid(schema.items as Schema | undefined, name, depth + 1), { minLength: minItems, maxLength: maxItems });
    }
    case "object": {
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      const required = (schema.required ?? []) as string[];
      const model: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, s] of Object.entries(props)) model[k] = valid(s, k, depth + 1);
      return fc.record(model, { requiredKeys: required.filter((k) => k in model) });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** A valid object with one property broken, removed, or an unknown one added. */
function broken(schema: Schema): fc.Arbitrary<unknown> {
  const props = Object.keys((schema.properties ?? {}) as Record<string, Schema>);
  return fc.tuple(valid(schema), props.length > 0 ? fc.constantFrom(...props) : fc.constant("x"), wrongType, fc.nat({ max: 2 })).map(([v, key, junk, how]) => {
    const obj = typeof v === "object" && v !== null && !Array.isArray(v) ? { ...(v as Record<string, unknown>) } : {};
    if (how === 0) obj[key] = junk;
    else if (how === 1) delete obj[key];
    else obj[`unexpected_${key}`] = junk;
    return obj;
  });
}

/** Percent-encodes the UTF-8 bytes of a value (lone surrogates become U+FFFD, as any client would send them). */
function pathSegment(value: string | { raw: string }): string {
  if (typeof value !== "string") return value.raw;
  let out = "";
  for (const byte of Buffer.from(value, "utf8")) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(ch) ? ch : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
    if (out.length >= MAX_URL_PART) break;
  }
  return out;
}

function asQueryValue(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

function requestFor(template: string, op: Operation, ids: Record<string, string>): fc.Arbitrary<FuzzRequest> {
  const params = op.parameters ?? [];
  const pathParams = params.filter((p) => p.in === "path");
  const queryParams = params.filter((p) => p.in === "query");
  const knownId = template.startsWith("/users/") ? ids.user! : template.startsWith("/batches/") ? ids.batch! : ids.resource!;

  const pathArb = fc
    .tuple(
      ...pathParams.map((p) =>
        fc.oneof(
          { weight: 3, arbitrary: fc.constant(knownId) },
          { weight: 2, arbitrary: valid(p.schema, p.name).map(asQueryValue) },
          { weight: 3, arbitrary: hostileString },
          // Already-escaped segments, including malformed and overlong UTF-8 escapes.
          { weight: 1, arbitrary: fc.constantFrom("%FF", "%C0%AF", "%E0%80%80", "%", "%zz", "%00", "..%2F..%2Fetc", "a%2Fb").map((raw) => ({ raw })) },
        ),
      ),
    )
    .map((values) => {
      let path = template;
      pathParams.forEach((p, i) => {
        path = path.replace(`{${p.name}}`, pathSegment(values[i] ?? ""));
      });
      return path;
    });

  const queryArb = fc
    .tuple(
      ...queryParams.map((p) =>
        fc.option(fc.oneof({ weight: 3, arbitrary: valid(p.schema, p.name).map(asQueryValue) }, { weight: 2, arbitrary: hostileString }), {
          nil: undefined,
          freq: p.required ? 10 : 2,
        }),
      ),
      fc.option(fc.tuple(fc.string({ maxLength: 10 }), hostileString), { nil: undefined, freq: 4 }),
    )
    .map((values) => {
      const extra = values.pop() as [string, string] | undefined;
      const out: Array<[string, string]> = [];
      queryParams.forEach((p, i) => {
        const v = values[i] as string | undefined;
        if (v !== undefined) out.push([p.name, v.slice(0, MAX_URL_PART / 2)]);
      });
      if (extra) out.push([extra[0], extra[1].slice(0, 1_000)]);
      return out;
    });

  const schema = op.requestBody?.content?.["application/json"]?.schema;
  const bodyArb: fc.Arbitrary<Body> = schema
    ? fc.oneof(
        { weight: 4, arbitrary: valid(schema).map((value): Body => ({ kind: "json", value })) },
        { weight: 4, arbitrary: broken(schema).map((value): Body => ({ kind: "json", value })) },
        { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((value): Body => ({ kind: "json", value })) },
        { weight: 1, arbitrary: fc.constantFrom<Body>({ kind: "none" }, { kind: "raw", text: "{not json", contentType: "application/json" }, { kind: "raw", text: "", contentType: "application/json" }) },
        { weight: 1, arbitrary: hostileString.map((text): Body => ({ kind: "raw", text, contentType: "application/json" })) },
        { weight: 1, arbitrary: valid(schema).map((value): Body => ({ kind: "raw", text: JSON.stringify(value) ?? "", contentType: "text/plain" })) },
        {
          weight: 1,
          arbitrary: fc.constantFrom("x".repeat(1_000_000), "\u0000".repeat(10_000), "ü".repeat(200_000)).map((big): Body => ({ kind: "json", value: { content: big, title: big.slice(0, 600), contentType: "text/plain" } })),
        },
      )
    : fc.oneof({ weight: 5, arbitrary: fc.constant<Body>({ kind: "none" }) }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((value): Body => ({ kind: "json", value })) });

  return fc.record({ path: pathArb, query: queryArb, body: bodyArb });
}

let stack: TestStack;
const ids: Record<string, string> = {};

beforeAll(async () => {
  stack = await startTestStack({ workers: false });
  const r = await api<{ id: string }>(stack, "POST", "/resources", { content: "Fuzzing fixture resource with a little text.", contentType: "text/plain" });
  ids.resource = r.body.id;
  const b = await api<{ batchId: string }>(stack, "POST", "/resources/batch", { items: [{ content: "Batch fixture.", contentType: "text/plain" }] });
  ids.batch = b.body.batchId;
  ids.user = "fuzz-user";
  await api(stack, "POST", "/interactions", { userId: ids.user, resourceId: ids.resource, type: "view" });
  known.resourceId = ids.resource;
  known.userId = ids.user;
});
afterAll(async () => {
  await stack?.dispose();
});

/** node:http rather than fetch: a GET with a body is a request a client can send, so it is fuzzed too. */
function send(method: string, req: FuzzRequest): Promise<{ status: number; contentType: string; text: string }> {
  const qs = req.query.length > 0 ? `?${new URLSearchParams(req.query).toString()}` : "";
  let body: Buffer | undefined;
  const headers: Record<string, string> = {};
  if (req.body.kind === "json") {
    headers["content-type"] = "application/json";
    body = Buffer.from(JSON.stringify(req.body.value) ?? "null");
  } else if (req.body.kind === "raw") {
    headers["content-type"] = req.body.contentType;
    body = Buffer.from(req.body.text);
  }
  if (body) headers["content-length"] = String(body.length);
  return new Promise((resolve, reject) => {
    const r = http.request(`${stack.url}${req.path}${qs}`, { method: method.toUpperCase(), headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers["content-type"] ?? ""), text: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    r.on("error", reject);
    r.end(body);
  });
}

function problem(method: string, res: { status: number; contentType: string; text: string }): string | undefined {
  if (res.status >= 500) return `${method} answered ${res.status}: ${res.text.slice(0, 300)}`;
  if (res.status >= 400) {
    if (!res.contentType.includes("application/json")) return `${res.status} without a JSON body (${res.contentType}): ${res.text.slice(0, 200)}`;
    let body: unknown;
    try {
      body = JSON.parse(res.text);
    } catch {
      return `${res.status} body is not JSON: ${res.text.slice(0, 200)}`;
    }
    const error = (body as { error?: unknown } | null)?.error;
    if (typeof error !== "string" || error.trim() === "") return `${res.status} without an error message: ${res.text.slice(0, 200)}`;
  }
  return undefined;
}

describe("OpenAPI fuzz", () => {
  it(`answers ${RUNS_PER_ENDPOINT} generated requests per endpoint without 5xx, every 4xx with a JSON error message`, async () => {
    const doc = (await api<OpenApi>(stack, "GET", "/openapi.json")).body;
    const endpoints = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })))
      // Deletes last, so the fixture ids stay valid for the others as long as possible.
      .sort((a, b) => Number(a.method === "delete") - Number(b.method === "delete"));
    expect(endpoints.length).toBeGreaterThanOrEqual(15);

    const failures: string[] = [];
    const statuses = new Map<string, Map<number, number>>();
    for (const { path, method, op } of endpoints) {
      const label = `${method.toUpperCase()} ${path}`;
      const seen = new Map<number, number>();
      statuses.set(label, seen);
      const result = await fc.check(
        fc.asyncProperty(requestFor(path, op, ids), async (req) => {
          const res = await send(method, req);
          seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
          const p = problem(method, res);
          if (p) throw new Error(p);
        }),
        { numRuns: RUNS_PER_ENDPOINT, endOnFailure: true },
      );
      if (result.failed) {
        const ex = JSON.stringify(result.counterexample?.[0], (_k, v: unknown) => (typeof v === "string" && v.length > 200 ? `${v.slice(0, 200)}…(${v.length})` : v));
        failures.push(`${label}: ${result.errorInstance instanceof Error ? result.errorInstance.message : String(result.errorInstance)}\n  request: ${ex}`);
      }
    }
    console.log(`[fuzz] ${endpoints.length} endpoints × ${RUNS_PER_ENDPOINT} runs; statuses:\n${[...statuses].map(([l, m]) => `  ${l}: ${[...m].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`).join(" ")}`).join("\n")}`);
    expect(failures).toEqual([]);
  }, 240_000);
});
