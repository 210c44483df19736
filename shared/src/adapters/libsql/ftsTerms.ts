/**
 * Terms as the full-text index sees them. Text is tokenized by a private
 * in-memory FTS5 table declared with the index's own tokenizer, and its terms
 * are read back through fts5vocab, so the terms of a query and of a document
 * are exactly what MATCH compares (stemming and diacritics included) without
 * re-implementing the Porter stemmer.
 *
 * Search caching uses them: a cached keyword result is tagged with its
 * query's terms, and re-indexing a document invalidates only the terms whose
 * number of occurrences changed (docs/caching.md, "Search results").
 */
import { createClient } from "@libsql/client";
import type { Client } from "@libsql/client";
import { LRUCache } from "lru-cache";

/** The tokenizer of `resources_fts` (shared/migrations/0001_search.sql; a test keeps them equal). */
export const FTS_TOKENIZE = "porter unicode61 remove_diacritics 2";

export class FtsTerms {
  private client: Client | null = null;
  private ready: Promise<Client> | null = null;
  /** One tokenization at a time: the scratch table holds one text. */
  private queue: Promise<unknown> = Promise.resolve();
  /** Queries repeat (that is why they are cached): remember their terms. */
  private readonly memo = new LRUCache<string, string[]>({ max: 10_000 });

  /** Each term of `text` with its number of occurrences. */
  async counts(text: string): Promise<Map<string, number>> {
    if (!text) return new Map();
    const run = this.queue.then(() => this.tokenize(text));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Terms of a short text (a query), memoised. */
  async ofQuery(query: string): Promise<string[]> {
    const known = this.memo.get(query);
    if (known) return known;
    const terms = [...(await this.counts(query)).keys()];
    this.memo.set(query, terms);
    return terms;
  }

  async close(): Promise<void> {
    this.client?.close();
    this.client = null;
    this.ready = null;
  }

  private async tokenize(text: string): Promise<Map<string, number>> {
    const client = await this.open();
    const results = await client.batch(
      [{ sql: "DELETE FROM scratch" }, { sql: "INSERT INTO scratch (t) VALUES (?)", args: [text] }, { sql: "SELECT term, cnt FROM scratch_terms" }],
      "write",
    );
    // The table holds one row, so `cnt` (occurrences in the table) is the term's count in this text.
    return new Map((results[2]?.rows ?? []).map((row) => [String(row.term), Number(row.cnt)]));
  }

  private open(): Promise<Client> {
    this.ready ??= (async () => {
      const client = createClient({ url: ":memory:" });
      await client.batch(
        [`CREATE VIRTUAL TABLE scratch USING fts5(t, tokenize = '${FTS_TOKENIZE}')`, "CREATE VIRTUAL TABLE scratch_terms USING fts5vocab(scratch, 'row')"],
        "write",
      );
      this.client = client;
      return client;
    })().catch((error: unknown) => {
      this.ready = null; // try again next time
      throw error;
    });
    return this.ready;
  }
}

/** The process's tokenizer (one in-memory database, opened on first use). */
export const ftsTerms = new FtsTerms();
