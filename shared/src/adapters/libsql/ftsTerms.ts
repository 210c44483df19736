/**
 * Terms as the full-text index sees them. Texts are tokenized by a TEMP FTS5
 * table declared with the index's own tokenizer, on the store's own
 * connection, and their terms are read back through fts5vocab, so the terms
 * of a query and of a document are exactly what MATCH compares (stemming and
 * diacritics included) without re-implementing the Porter stemmer.
 *
 * Why the store's connection and one batch per call: on AWS the store is a
 * libSQL server reached over HTTP (`@libsql/client/web`, which cannot open a
 * `:memory:` database), and every HTTP request may be a new stream, i.e. a
 * new connection whose TEMP schema is empty. A batch runs on one stream, so
 * creating the scratch table (IF NOT EXISTS), filling, reading and emptying
 * it in one batch works over HTTP and on a local file alike. TEMP objects
 * touch nothing in the database itself and take no write lock on it.
 *
 * Search caching uses them: a cached keyword result is tagged with its
 * query's terms, and re-indexing a document invalidates only the terms whose
 * number of occurrences changed (docs/caching.md, "Search results").
 */
import type { Client, InStatement } from "@libsql/client";
import { LRUCache } from "lru-cache";

/** The tokenizer of `resources_fts` (shared/migrations/0001_search.sql; a test keeps them equal). */
export const FTS_TOKENIZE = "porter unicode61 remove_diacritics 2";

const SCRATCH = "temp.na_fts_scratch";
const SCRATCH_TERMS = "temp.na_fts_scratch_terms";
const PREPARE: InStatement[] = [
  `CREATE VIRTUAL TABLE IF NOT EXISTS ${SCRATCH} USING fts5(t, tokenize = '${FTS_TOKENIZE}')`,
  // 'instance': one row per occurrence, with the row (text) it occurs in.
  `CREATE VIRTUAL TABLE IF NOT EXISTS ${SCRATCH_TERMS} USING fts5vocab(temp, na_fts_scratch, 'instance')`,
  `DELETE FROM ${SCRATCH}`,
];

export class FtsTerms {
  /** Queries repeat (that is why they are cached): remember their terms. */
  private readonly memo = new LRUCache<string, string[]>({ max: 10_000 });

  constructor(private readonly client: Pick<Client, "batch">) {}

  /** Each term of `text` with its number of occurrences. */
  async counts(text: string): Promise<Map<string, number>> {
    const [counts] = await this.countsOf([text]);
    return counts ?? new Map();
  }

  /** The term counts of several texts, in one round trip to the database. */
  async countsOf(texts: readonly string[]): Promise<Array<Map<string, number>>> {
    const out = texts.map(() => new Map<string, number>());
    const filled = texts.flatMap((text, i) => (text ? [i] : []));
    if (filled.length === 0) return out;
    const results = await this.client.batch(
      [
        ...PREPARE,
        // rowid = position in `texts`, so each occurrence says which text it came from.
        ...filled.map((i) => ({ sql: `INSERT INTO ${SCRATCH} (rowid, t) VALUES (?, ?)`, args: [i, texts[i] ?? ""] })),
        `SELECT term, doc, count(*) AS n FROM ${SCRATCH_TERMS} GROUP BY term, doc`,
        `DELETE FROM ${SCRATCH}`,
      ],
      "deferred",
    );
    const rows = results[PREPARE.length + filled.length]?.rows ?? [];
    for (const row of rows) out[Number(row.doc)]?.set(String(row.term), Number(row.n));
    return out;
  }

  /** Terms of a short text (a query), memoised. */
  async ofQuery(query: string): Promise<string[]> {
    const known = this.memo.get(query);
    if (known) return known;
    const terms = [...(await this.counts(query)).keys()];
    this.memo.set(query, terms);
    return terms;
  }
}
