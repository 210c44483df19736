-- Tags (issue 18): users' own labels, attached by hand or accepted from the tag model's suggestions.
CREATE TABLE `resource_tags` (
	`resource_id` text NOT NULL,
	`tag_id` text NOT NULL,
	`state` text NOT NULL,
	`confidence` real,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`resource_id`, `tag_id`)
);
--> statement-breakpoint
CREATE INDEX `resource_tags_tag_idx` ON `resource_tags` (`tag_id`,`state`);--> statement-breakpoint
CREATE TABLE `tags` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`key` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tags_key_unique` ON `tags` (`key`);