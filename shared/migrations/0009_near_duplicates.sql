-- Near-duplicates (issue 18, docs/duplicates.md): each resource's MinHash signature, its LSH band keys,
-- and the resource it is a near-copy of.
ALTER TABLE `resources` ADD `duplicate_of` text;
--> statement-breakpoint
ALTER TABLE `resources` ADD `duplicate_similarity` real;
--> statement-breakpoint
CREATE INDEX `resources_duplicate_idx` ON `resources` (`duplicate_of`);
--> statement-breakpoint
CREATE TABLE `resource_fingerprints` (
	`resource_id` text PRIMARY KEY NOT NULL,
	`content_revision` integer NOT NULL,
	`signature` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `fingerprint_bands` (
	`band_key` text NOT NULL,
	`resource_id` text NOT NULL,
	PRIMARY KEY(`band_key`, `resource_id`)
);
--> statement-breakpoint
CREATE INDEX `fingerprint_bands_resource_idx` ON `fingerprint_bands` (`resource_id`);
