/** `/openapi.json`, generated from the route list and its zod schemas. */
import * as z from "zod";
import { accessOf } from "@shared/security/routePolicy";
import type { ApiRoute } from "./apiRoute";

type JsonSchema = Record<string, unknown>;

function schemaOf(s: z.ZodType | undefined): JsonSchema | undefined {
  if (!s) return undefined;
  return z.toJSONSchema(s, { io: "input", unrepresentable: "any" }) as JsonSchema;
}

function parametersOf(route: ApiRoute) {
  const out: Array<Record<string, unknown>> = [];
  for (const [where, schema] of [["path", route.params], ["query", route.query]] as const) {
    const js = schemaOf(schema);
    const props = (js?.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((js?.required as string[] | undefined) ?? []);
    for (const [name, prop] of Object.entries(props)) {
      out.push({ name, in: where, required: where === "path" || (required.has(name) && prop.default === undefined), schema: prop });
    }
  }
  return out;
}

export function openApiDocument(routes: readonly ApiRoute[], serverUrl?: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const op: Record<string, unknown> = {
      summary: r.summary,
      operationId: `${r.method.toLowerCase()}${r.path.replace(/[{}]/g, "").replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ? c.toUpperCase() : ""))}`,
      parameters: parametersOf(r),
      responses: Object.fromEntries(Object.entries(r.responses).map(([code, description]) => [code, { description }])),
      ...(accessOf(r) !== "public" ? { security: [{ apiKey: [] }] } : {}),
    };
    const body = schemaOf(r.body);
    if (body) op.requestBody = { required: true, content: { "application/json": { schema: body } } };
    (paths[r.path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: "3.1.0",
    info: { title: "Neo Alexandria API", version: "0.1.0", description: "Knowledge library: ingest resources, keep derived data current, search." },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    components: { securitySchemes: { apiKey: { type: "apiKey", in: "header", name: "x-api-key" } } },
    paths,
  };
}
