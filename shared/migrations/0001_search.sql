-- Custom migration: what drizzle cannot declare.
-- Full-text index (FTS5, BM25). One row per resource, written by the search-index task.
CREATE VIRTUAL TABLE `resources_fts` USING fts5(
  `resource_id` UNINDEXED,
  `title`,
  `description`,
  `body`,
  tokenize = 'porter unicode61 remove_diacritics 2'
);
--> statement-breakpoint
-- Vectors (libSQL native F32_BLOB, 512 dims = EMBEDDING_DIMENSIONS) with a DiskANN index for vector_top_k.
CREATE TABLE `resource_embeddings` (
  `resource_id` text PRIMARY KEY NOT NULL,
  `content_hash` text NOT NULL,
  `content_revision` integer NOT NULL,
  `model` text NOT NULL,
  `vector` F32_BLOB(512) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `resource_embeddings_vector_idx` ON `resource_embeddings` (libsql_vector_idx(`vector`, 'metric=cosine'));
--> statement-breakpoint
CREATE INDEX `resource_embeddings_hash_idx` ON `resource_embeddings` (`content_hash`);
