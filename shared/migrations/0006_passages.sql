-- Passages (issue 16, docs/search.md): the units search ranks, embeds and shows.
CREATE TABLE `passages` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`resource_id` text NOT NULL,
	`content_revision` integer NOT NULL,
	`ordinal` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `passages_resource_idx` ON `passages` (`resource_id`,`ordinal`);--> statement-breakpoint
CREATE TABLE `search_state` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
--> statement-breakpoint
ALTER TABLE `resources` ADD `embedded_model` text;
--> statement-breakpoint
-- Custom: the text of each passage (rowid = passages.id), for snippets and passage ranking.
CREATE VIRTUAL TABLE `passages_fts` USING fts5(
  `heading`,
  `body`,
  tokenize = 'porter unicode61 remove_diacritics 2'
);
--> statement-breakpoint
-- Custom: one vector per embedded passage and embedder. Vectors of two embedders coexist while the
-- library is re-embedded; a ranking reads one embedder's only (the serving one, search_state).
-- No DiskANN index: its inserts dominated an import, and the semantic scan runs in memory
-- (shared/src/app/passageVectorIndex.ts).
-- `ordinal` -1 is the document's title. `text_hash` (sha256 of the text embedded) lets a re-embedding
-- reuse the vectors of texts that did not change (an edit to one passage, a new title, a duplicate).
CREATE TABLE `passage_vectors` (
  `id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
  `resource_id` text NOT NULL,
  `model` text NOT NULL,
  `ordinal` integer NOT NULL,
  `content_revision` integer NOT NULL,
  `text_hash` text NOT NULL,
  `vector` F32_BLOB(512) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `passage_vectors_resource_idx` ON `passage_vectors` (`resource_id`, `model`, `ordinal`);
--> statement-breakpoint
CREATE INDEX `passage_vectors_model_idx` ON `passage_vectors` (`model`, `text_hash`);

--> statement-breakpoint
-- Custom: document vectors keep one row per resource AND embedder (was: per resource), for the same reason.
CREATE TABLE `resource_embeddings_new` (
  `resource_id` text NOT NULL,
  `content_hash` text NOT NULL,
  `content_revision` integer NOT NULL,
  `model` text NOT NULL,
  `vector` F32_BLOB(512) NOT NULL,
  PRIMARY KEY (`resource_id`, `model`)
);
--> statement-breakpoint
INSERT INTO `resource_embeddings_new` SELECT `resource_id`, `content_hash`, `content_revision`, `model`, `vector` FROM `resource_embeddings`;
--> statement-breakpoint
DROP INDEX IF EXISTS `resource_embeddings_vector_idx`;
--> statement-breakpoint
DROP TABLE `resource_embeddings`;
--> statement-breakpoint
ALTER TABLE `resource_embeddings_new` RENAME TO `resource_embeddings`;
--> statement-breakpoint
CREATE INDEX `resource_embeddings_vector_idx` ON `resource_embeddings` (libsql_vector_idx(`vector`, 'metric=cosine'));
--> statement-breakpoint
CREATE INDEX `resource_embeddings_hash_idx` ON `resource_embeddings` (`content_hash`);
--> statement-breakpoint
CREATE INDEX `resource_embeddings_model_idx` ON `resource_embeddings` (`model`);
--> statement-breakpoint
-- Vectors stored before this migration: their resources are marked with the embedder that made them,
-- so a different configured embedder re-embeds them (and every passage is written on the next index).
UPDATE `resources` SET `embedded_model` = (SELECT `model` FROM `resource_embeddings` e WHERE e.`resource_id` = `resources`.`id` LIMIT 1);
--> statement-breakpoint
-- Existing resources have no passages yet: the reconciler re-indexes them (indexed_revision behind).
UPDATE `resources` SET `indexed_revision` = 0, `embedded_revision` = 0 WHERE `ingestion_status` = 'completed';
