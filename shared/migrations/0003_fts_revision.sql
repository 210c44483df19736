ALTER TABLE `resources` ADD `fts_revision` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Rows indexed before this column existed hold their confirmed text.
UPDATE `resources` SET `fts_revision` = `indexed_revision`;
