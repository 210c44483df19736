/**
 * Rows of passages and their vectors (migration 0006). Every function takes
 * the caller's transaction: a resource's passages are replaced with its FTS
 * row, and its vectors with its embedding revision, each all at once, so no
 * reader ever sees two revisions of one resource's passages.
 */
import { sql } from "drizzle-orm";
import type { Passage } from "../../domain/passages";
import type { Db, Tx } from "./store";

/** Replaces the resource's passages (rows and FTS text) with `passages` of `contentRevision`. */
export async function replacePassages(tx: Tx, resourceId: string, contentRevision: number, passages: readonly Passage[]): Promise<void> {
  await deletePassages(tx, resourceId);
  for (const p of passages) {
    const [row] = await tx.all<{ id: number }>(
      sql`INSERT INTO passages (resource_id, content_revision, ordinal) VALUES (${resourceId}, ${contentRevision}, ${p.ordinal}) RETURNING id`,
    );
    await tx.run(sql`INSERT INTO passages_fts (rowid, heading, body) VALUES (${row!.id}, ${p.heading}, ${p.text})`);
  }
}

export async function deletePassages(tx: Tx, resourceId: string): Promise<void> {
  await tx.run(sql`DELETE FROM passages_fts WHERE rowid IN (SELECT id FROM passages WHERE resource_id = ${resourceId})`);
  await tx.run(sql`DELETE FROM passages WHERE resource_id = ${resourceId}`);
}

export interface VectorRow {
  /** Passage ordinal; -1 for the title. */
  ordinal: number;
  /** sha256 of the text embedded. */
  textHash: string;
  vector: readonly number[];
}

/** Replaces the resource's vectors of `model` (passages and document vector) in one go. */
export async function replaceVectors(
  tx: Tx,
  resource: { id: string; contentRevision: number; contentHash: string },
  model: string,
  passageVectors: readonly VectorRow[],
  documentVector: readonly number[],
): Promise<void> {
  await tx.run(sql`DELETE FROM passage_vectors WHERE resource_id = ${resource.id} AND model = ${model}`);
  for (const v of passageVectors) {
    await tx.run(sql`
      INSERT INTO passage_vectors (resource_id, model, ordinal, content_revision, text_hash, vector)
      VALUES (${resource.id}, ${model}, ${v.ordinal}, ${resource.contentRevision}, ${v.textHash}, vector32(${JSON.stringify(v.vector)}))`);
  }
  await tx.run(sql`
    INSERT OR REPLACE INTO resource_embeddings (resource_id, content_hash, content_revision, model, vector)
    VALUES (${resource.id}, ${resource.contentHash}, ${resource.contentRevision}, ${model}, vector32(${JSON.stringify(documentVector)}))`);
}

/** Every vector of the resource, of every embedder. */
export async function deleteVectors(tx: Tx, resourceId: string): Promise<void> {
  await tx.run(sql`DELETE FROM passage_vectors WHERE resource_id = ${resourceId}`);
  await tx.run(sql`DELETE FROM resource_embeddings WHERE resource_id = ${resourceId}`);
}

/** Copies a twin's vectors (same content) to a new resource, as ingestion reuses derived data. */
export async function copyVectors(tx: Tx, fromId: string, toId: string, contentRevision: number): Promise<void> {
  await tx.run(sql`
    INSERT OR REPLACE INTO passage_vectors (resource_id, model, ordinal, content_revision, text_hash, vector)
    SELECT ${toId}, model, ordinal, ${contentRevision}, text_hash, vector FROM passage_vectors WHERE resource_id = ${fromId}`);
}

/** The resource's vectors of `model`: which texts (by hash) at which ordinals. */
export async function vectorHashes(db: Db | Tx, resourceId: string, model: string): Promise<Map<number, string>> {
  const rows = await db.all<{ ordinal: number; h: string }>(
    sql`SELECT ordinal, text_hash AS h FROM passage_vectors WHERE resource_id = ${resourceId} AND model = ${model}`,
  );
  return new Map(rows.map((r) => [Number(r.ordinal), r.h]));
}

/** Stored vectors of `model` for any of these text hashes (from any resource): texts embedded once are not embedded again. */
export async function vectorsByTextHash(db: Db, model: string, hashes: readonly string[]): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  for (let i = 0; i < hashes.length; i += 200) {
    const chunk = hashes.slice(i, i + 200);
    const rows = await db.all<{ h: string; v: string }>(sql`
      SELECT text_hash AS h, vector_extract(vector) AS v FROM passage_vectors
      WHERE model = ${model} AND text_hash IN (${sql.join(chunk.map((h) => sql`${h}`), sql`, `)})`);
    for (const r of rows) if (!out.has(r.h)) out.set(r.h, JSON.parse(r.v) as number[]);
  }
  return out;
}
