/**
 * Near-duplicates in the store (docs/duplicates.md): at ingestion the text's
 * MinHash signature and LSH band keys are written in the same transaction as
 * the text, and the resource is marked `duplicateOf` the most similar
 * earlier resource at or above DUPLICATE_THRESHOLD. A copy of a copy points
 * at the first one, so every group has one resource that search shows.
 */
import { and, asc, eq, inArray, ne, sql } from "drizzle-orm";
import { fingerprintBands, resourceFingerprints, resources } from "../adapters/libsql/schema";
import type { Tx } from "../adapters/libsql/store";
import { bandKeys, bestMatch, decodeSignature, encodeSignature, fingerprintOf, MIN_SHINGLES, type NearMatch } from "../domain/fingerprint";
import { NotFoundError } from "../errors";
import type { AppContext } from "./context";

/**
 * Writes the fingerprint of `text` for the resource (replacing any older one)
 * and answers which resource it is a near-copy of, if any. Idempotent: run
 * again for the same text it finds the same answer.
 */
export async function fingerprintResource(tx: Tx, resourceId: string, contentRevision: number, text: string): Promise<NearMatch | null> {
  const fp = fingerprintOf(text);
  const keys = bandKeys(fp.signature);
  await tx.delete(fingerprintBands).where(eq(fingerprintBands.resourceId, resourceId));
  await tx
    .insert(resourceFingerprints)
    .values({ resourceId, contentRevision, signature: encodeSignature(fp.signature) })
    .onConflictDoUpdate({ target: resourceFingerprints.resourceId, set: { contentRevision, signature: encodeSignature(fp.signature) } });
  if (fp.shingles < MIN_SHINGLES) return null;
  await tx.insert(fingerprintBands).values(keys.map((bandKey) => ({ bandKey, resourceId }))).onConflictDoNothing();
  // Candidates: resources sharing a band key, oldest first (a copy points at what the library had first).
  const candidates = await tx
    .selectDistinct({ id: resources.id, signature: resourceFingerprints.signature, duplicateOf: resources.duplicateOf, createdAt: resources.createdAt })
    .from(fingerprintBands)
    .innerJoin(resources, eq(resources.id, fingerprintBands.resourceId))
    .innerJoin(resourceFingerprints, eq(resourceFingerprints.resourceId, resources.id))
    .where(and(inArray(fingerprintBands.bandKey, keys), ne(fingerprintBands.resourceId, resourceId), sql`${resources.duplicateOf} IS NOT ${resourceId}`))
    .orderBy(asc(resources.createdAt), asc(resources.id));
  const match = bestMatch(fp.signature, candidates.map((c) => ({ id: c.id, signature: decodeSignature(c.signature) })));
  if (!match) return null;
  const root = candidates.find((c) => c.id === match.id)?.duplicateOf ?? match.id;
  return { id: root, similarity: match.similarity };
}

/** The resource is gone: its copies become originals again (each is shown by search on its own). Answers their ids. */
export async function forgetFingerprint(tx: Tx, resourceId: string): Promise<string[]> {
  await tx.delete(fingerprintBands).where(eq(fingerprintBands.resourceId, resourceId));
  await tx.delete(resourceFingerprints).where(eq(resourceFingerprints.resourceId, resourceId));
  const freed = await tx.update(resources).set({ duplicateOf: null, duplicateSimilarity: null }).where(eq(resources.duplicateOf, resourceId)).returning({ id: resources.id });
  return freed.map((f) => f.id);
}

export interface DuplicateItem {
  id: string;
  title: string | null;
  url: string | null;
  source: string | null;
  similarity: number | null;
}

export interface Duplicates {
  id: string;
  /** The original this resource is a near-copy of (null when it is an original). */
  duplicateOf: DuplicateItem | null;
  /** Other members of its group: near-copies of it (or of its original). */
  items: DuplicateItem[];
}

/** The near-duplicate group of a resource. */
export async function duplicatesOf(ctx: AppContext, id: string): Promise<Duplicates> {
  const row = await ctx.store.db.query.resources.findFirst({ columns: { id: true, duplicateOf: true, duplicateSimilarity: true }, where: eq(resources.id, id) });
  if (!row) throw new NotFoundError(`resource ${id}`);
  const root = row.duplicateOf ?? row.id;
  const members = await ctx.store.db
    .select({ id: resources.id, title: resources.title, url: resources.url, source: resources.source, similarity: resources.duplicateSimilarity, duplicateOf: resources.duplicateOf })
    .from(resources)
    .where(sql`(${resources.id} = ${root} OR ${resources.duplicateOf} = ${root}) AND ${resources.id} != ${id}`)
    .orderBy(asc(resources.createdAt), asc(resources.id));
  const item = (m: (typeof members)[number]): DuplicateItem => ({ id: m.id, title: m.title, url: m.url, source: m.source, similarity: m.duplicateOf ? m.similarity : null });
  const original = row.duplicateOf ? members.find((m) => m.id === row.duplicateOf) : undefined;
  return {
    id,
    duplicateOf: original ? { ...item(original), similarity: row.duplicateSimilarity } : null,
    items: members.filter((m) => m.id !== row.duplicateOf).map(item),
  };
}
