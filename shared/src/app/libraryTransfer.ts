/**
 * Export and import of a library (docs/export.md): one NDJSON record per
 * resource with what a person gave it — its id, when it was added, what was
 * sent to ingestion (the URL, or the content as sent, PDFs in base64), the
 * metadata they set, their manual categories and the interactions with it.
 * Derived data (text, vectors, quality, predicted categories, citations) is
 * not exported: ingestion recomputes it from the input.
 *
 * Import is idempotent: a record whose resource already exists with the same
 * input changes nothing but adds what is missing (manual categories, interactions);
 * one whose id exists with a different input is a conflict, skipped and reported.
 */
import { and, asc, eq, gt, inArray, sql } from "drizzle-orm";
import * as z from "zod";
import { categories, interactions, resources, userProfiles } from "../adapters/libsql/schema";
import { CATEGORY_IDS, type CategoryId } from "../domain/taxonomy";
import { INTERACTION_WEIGHTS } from "../domain/recommendations";
import type { AppContext } from "./context";
import { createResources, invalidateNow, type ContentType } from "./resources";
import { PROFILE_REFRESH_EVERY } from "./interactions";
import { writeWithEvents } from "./unitOfWork";
import { SearchTags } from "./searchCaching";

export const EXPORT_FORMAT = "alexandria-library";
export const EXPORT_VERSION = 1;
/** Resources read from the store per page while exporting. */
const EXPORT_PAGE = 100;

const contentType = z.enum(["text/plain", "text/markdown", "text/html", "application/pdf"]);

/** One exported resource. Every field is checked on import: the file may come from anywhere. */
export const exportRecord = z
  .object({
    kind: z.literal("resource"),
    id: z.string().min(1).max(100).regex(/^[A-Za-z0-9-]+$/, "id has invalid characters"),
    createdAt: z.iso.datetime(),
    input: z.union([
      z
        .object({
          url: z
            .string()
            .max(2048)
            .refine((u) => URL.canParse(u), "url is not a valid URL")
            // The same schemes POST /resources accepts; fetching still goes through the fetch policy.
            .refine((u) => ["http:", "https:", "file:"].includes(URL.parse(u)?.protocol ?? ""), "url must use http, https or file"),
        })
        .strict(),
      z
        .object({ content: z.string().min(1).max(14 * 1024 * 1024), contentType })
        .strict()
        // As POST /resources checks them: PDFs travel in base64, text never holds NUL.
        .refine((c) => (c.contentType === "application/pdf" ? /^[A-Za-z0-9+/=\s]+$/.test(c.content) : !c.content.includes("\u0000")), {
          message: "PDF content must be base64; text content must not contain NUL characters",
          path: ["content"],
        }),
    ]),
    metadata: z
      .object({
        title: z.string().max(500).optional(),
        description: z.string().max(5000).optional(),
        authors: z.array(z.string().max(300)).max(100).optional(),
        source: z.string().max(500).optional(),
      })
      .strict(),
    categories: z.array(z.enum(CATEGORY_IDS as [CategoryId, ...CategoryId[]])).max(CATEGORY_IDS.length),
    interactions: z
      .array(
        z
          .object({
            userId: z.string().min(1).max(200).regex(/^[\w.@:-]+$/, "userId may contain letters, digits and . _ @ : - only"),
            type: z.enum(Object.keys(INTERACTION_WEIGHTS) as [string, ...string[]]),
            strength: z.number().min(0).max(10),
            createdAt: z.iso.datetime(),
          })
          .strict(),
      )
      .max(10_000),
  })
  .strict();
export type ExportRecord = z.infer<typeof exportRecord>;

export interface ExportHeader {
  kind: "header";
  format: typeof EXPORT_FORMAT;
  version: number;
  exportedAt: string;
  resources: number;
}

/** One line of an export: its NDJSON text (ending with "\n") and the resource it is about (null for the header). */
export interface ExportLine {
  text: string;
  id: string | null;
}

/**
 * The library as NDJSON lines: a header (unless `after` is given: a later
 * page of the same export), then one record per resource, in id order (oldest
 * first), from the first id after `after`.
 */
export async function* exportLines(ctx: AppContext, after = ""): AsyncGenerator<ExportLine> {
  if (!after) {
    const [count] = await ctx.store.db.all<{ n: number }>(sql`SELECT count(*) AS n FROM resources`);
    const header: ExportHeader = { kind: "header", format: EXPORT_FORMAT, version: EXPORT_VERSION, exportedAt: new Date().toISOString(), resources: Number(count?.n ?? 0) };
    yield { text: `${JSON.stringify(header)}\n`, id: null };
  }
  for (;;) {
    const rows = await ctx.store.db.select().from(resources).where(gt(resources.id, after)).orderBy(asc(resources.id)).limit(EXPORT_PAGE);
    if (rows.length === 0) return;
    after = rows[rows.length - 1]!.id;
    const ids = rows.map((r) => r.id);
    const [manual, used] = await Promise.all([
      ctx.store.db.select().from(categories).where(and(inArray(categories.resourceId, ids), eq(categories.source, "manual"))).orderBy(asc(categories.category)),
      ctx.store.db.select().from(interactions).where(inArray(interactions.resourceId, ids)).orderBy(asc(interactions.id)),
    ]);
    for (const row of rows) {
      const input = row.inputUrl !== null ? { url: row.inputUrl } : { content: row.inputContent ?? "", contentType: (row.inputContentType ?? "text/plain") as ContentType };
      const record: ExportRecord = {
        kind: "resource",
        id: row.id,
        createdAt: row.createdAt,
        input,
        metadata: row.providedMetadata,
        categories: manual.filter((c) => c.resourceId === row.id).map((c) => c.category as CategoryId),
        interactions: used.filter((i) => i.resourceId === row.id).map((i) => ({ userId: i.userId, type: i.type, strength: i.strength, createdAt: i.createdAt })),
      };
      yield { text: `${JSON.stringify(record)}\n`, id: row.id };
    }
  }
}

/**
 * Bounds of one page of an export. On AWS the answer is one buffered Lambda
 * response: at most 6 MB for the whole JSON envelope API Gateway receives
 * (where the body is a JSON string, so every `"` and `\` of the NDJSON takes
 * two bytes), within the API's 29 s timeout.
 */
export const EXPORT_PAGE_BYTES = 4_500_000;
export const EXPORT_PAGE_MS = 15_000;

export interface ExportPage {
  /** NDJSON: the header (first page only) and whole records; the pages' texts, joined in order, are the export. */
  text: string;
  /** The cursor of the next page (`GET /export?after=…`), or null when this page ends the export. */
  next: string | null;
  records: number;
}

/** Bytes a text takes as a JSON string inside the Lambda response envelope. */
export const envelopeBytes = (text: string): number => Buffer.byteLength(JSON.stringify(text)) - 2;

/**
 * One page of the export: whole records after the cursor until the next would
 * take the page over `maxBytes` (counted as `envelopeBytes`) or `maxMs` have
 * passed. A page holds at least one record, so a record larger than the budget
 * travels alone.
 */
export async function exportPage(ctx: AppContext, options: { after?: string; maxBytes?: number; maxMs?: number } = {}): Promise<ExportPage> {
  const maxBytes = options.maxBytes ?? EXPORT_PAGE_BYTES;
  const deadline = Date.now() + (options.maxMs ?? EXPORT_PAGE_MS);
  const parts: string[] = [];
  let bytes = 0;
  let records = 0;
  let last: string | null = null;
  const lines = exportLines(ctx, options.after ?? "");
  for await (const line of lines) {
    const size = envelopeBytes(line.text);
    if (records > 0 && (bytes + size > maxBytes || Date.now() > deadline)) {
      await lines.return(undefined);
      return { text: parts.join(""), next: last, records };
    }
    parts.push(line.text);
    bytes += size;
    if (line.id !== null) {
      records++;
      last = line.id;
    }
  }
  return { text: parts.join(""), next: null, records };
}

export type ImportOutcome = "created" | "unchanged" | "updated" | "conflict" | "invalid";

export interface ImportReport {
  /** Records read (header lines are not counted). */
  records: number;
  created: number;
  updated: number;
  unchanged: number;
  conflicts: Array<{ line: number; id: string | null; reason: string }>;
  invalid: Array<{ line: number; id: string | null; reason: string }>;
  /** Ids created, to follow until current. */
  createdIds: string[];
}

/** Imports records (as parsed JSON values, with the line each came from). */
export async function importRecords(ctx: AppContext, lines: ReadonlyArray<{ line: number; value: unknown }>, correlationId: string): Promise<ImportReport> {
  const report: ImportReport = { records: 0, created: 0, updated: 0, unchanged: 0, conflicts: [], invalid: [], createdIds: [] };
  for (const { line, value } of lines) {
    if ((value as { kind?: unknown } | null)?.kind === "header") {
      const header = value as Partial<ExportHeader>;
      if (header.format !== EXPORT_FORMAT || header.version !== EXPORT_VERSION) report.invalid.push({ line, id: null, reason: `unknown export format ${String(header.format)} version ${String(header.version)}` });
      continue;
    }
    report.records++;
    const parsed = exportRecord.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const id = typeof (value as { id?: unknown } | null)?.id === "string" ? (value as { id: string }).id : null;
      report.invalid.push({ line, id, reason: `${issue?.path.join(".") || "record"}: ${issue?.message ?? "invalid"}` });
      continue;
    }
    const outcome = await importRecord(ctx, parsed.data, correlationId);
    if (outcome.kind === "conflict") report.conflicts.push({ line, id: parsed.data.id, reason: outcome.reason });
    else report[outcome.kind]++;
    if (outcome.kind === "created") report.createdIds.push(parsed.data.id);
  }
  return report;
}

type RecordOutcome = { kind: "created" | "updated" | "unchanged" } | { kind: "conflict"; reason: string };

async function importRecord(ctx: AppContext, record: ExportRecord, correlationId: string): Promise<RecordOutcome> {
  const existing = await ctx.store.db.query.resources.findFirst({ where: eq(resources.id, record.id) });
  if (existing) {
    const sameInput =
      "url" in record.input
        ? existing.inputUrl === record.input.url
        : existing.inputUrl === null && existing.inputContent === record.input.content && existing.inputContentType === record.input.contentType;
    if (!sameInput) return { kind: "conflict", reason: "a resource with this id exists with different content; skipped (delete it first to replace it)" };
  } else {
    const input = "url" in record.input ? { url: record.input.url } : { content: record.input.content, contentType: record.input.contentType };
    await createResources(ctx, [{ ...input, ...record.metadata, id: record.id, createdAt: record.createdAt }], correlationId);
  }
  const added = await addUserData(ctx, record, correlationId);
  if (!existing) return { kind: "created" };
  return { kind: added ? "updated" : "unchanged" };
}

/** Adds the manual categories and interactions the store does not have yet; answers whether anything was added. */
async function addUserData(ctx: AppContext, record: ExportRecord, correlationId: string): Promise<boolean> {
  const users = new Set<string>();
  const added = await writeWithEvents(ctx, correlationId, async (tx, emit) => {
    let changed = false;
    const row = await tx.query.resources.findFirst({ where: eq(resources.id, record.id), columns: { contentRevision: true } });
    const have = new Set((await tx.select().from(categories).where(and(eq(categories.resourceId, record.id), eq(categories.source, "manual")))).map((c) => c.category));
    const missing = record.categories.filter((c) => !have.has(c));
    if (missing.length > 0) {
      await tx.insert(categories).values(missing.map((category) => ({ resourceId: record.id, category, source: "manual" as const, confidence: 1, modelVersion: null, contentRevision: row?.contentRevision ?? 0 })));
      changed = true;
    }
    const known = new Set((await tx.select().from(interactions).where(eq(interactions.resourceId, record.id))).map((i) => `${i.userId}\u0000${i.type}\u0000${i.createdAt}`));
    for (const i of record.interactions) {
      if (known.has(`${i.userId}\u0000${i.type}\u0000${i.createdAt}`)) continue;
      known.add(`${i.userId}\u0000${i.type}\u0000${i.createdAt}`);
      await tx.insert(interactions).values({ userId: i.userId, resourceId: record.id, type: i.type, strength: i.strength, createdAt: i.createdAt });
      const [profile] = await tx
        .insert(userProfiles)
        .values({ userId: i.userId, interactionCount: 1 })
        .onConflictDoUpdate({ target: userProfiles.userId, set: { interactionCount: sql`${userProfiles.interactionCount} + 1` } })
        .returning({ count: userProfiles.interactionCount });
      const count = profile?.count ?? 1;
      emit("user.interaction_tracked", { userId: i.userId, resourceId: record.id, interactionType: i.type, interactionCount: count, profileRefreshDue: count % PROFILE_REFRESH_EVERY === 0 });
      users.add(i.userId);
      changed = true;
    }
    return changed;
  });
  if (added) await invalidateNow(ctx, [`resource:${record.id}`, SearchTags.meta("categories"), ...[...users].map((u) => `user:${u}`)], correlationId);
  return added;
}
