CREATE TABLE `authors` (
	`id` text PRIMARY KEY NOT NULL,
	`key` text NOT NULL,
	`canonical_name` text NOT NULL,
	`variants` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `authors_key_idx` ON `authors` (`key`);--> statement-breakpoint
CREATE TABLE `batches` (
	`id` text PRIMARY KEY NOT NULL,
	`total` integer NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `categories` (
	`resource_id` text NOT NULL,
	`category` text NOT NULL,
	`source` text NOT NULL,
	`confidence` real NOT NULL,
	`model_version` integer,
	`content_revision` integer NOT NULL,
	PRIMARY KEY(`resource_id`, `source`, `category`)
);
--> statement-breakpoint
CREATE TABLE `citations` (
	`source_id` text NOT NULL,
	`kind` text NOT NULL,
	`value` text NOT NULL,
	`raw` text NOT NULL,
	`target_id` text,
	`content_revision` integer NOT NULL,
	PRIMARY KEY(`source_id`, `kind`, `value`)
);
--> statement-breakpoint
CREATE INDEX `citations_target_idx` ON `citations` (`kind`,`value`);--> statement-breakpoint
CREATE TABLE `classifier_models` (
	`version` integer PRIMARY KEY NOT NULL,
	`trained_at` text NOT NULL,
	`labels_fingerprint` text NOT NULL,
	`accuracy` real NOT NULL,
	`examples` integer NOT NULL,
	`model` text NOT NULL,
	`active` integer DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE TABLE `interactions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`user_id` text NOT NULL,
	`resource_id` text NOT NULL,
	`type` text NOT NULL,
	`strength` real NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `interactions_user_idx` ON `interactions` (`user_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `job_runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`job` text NOT NULL,
	`started_at` text NOT NULL,
	`finished_at` text,
	`status` text NOT NULL,
	`summary` text
);
--> statement-breakpoint
CREATE TABLE `outbox` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`payload` text NOT NULL,
	`meta` text NOT NULL,
	`created_at` text NOT NULL,
	`published_at` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_error` text
);
--> statement-breakpoint
CREATE INDEX `outbox_pending_idx` ON `outbox` (`published_at`,`created_at`);--> statement-breakpoint
CREATE TABLE `quality_flags` (
	`resource_id` text NOT NULL,
	`kind` text NOT NULL,
	`details` text NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`resource_id`, `kind`)
);
--> statement-breakpoint
CREATE TABLE `quality_snapshots` (
	`resource_id` text PRIMARY KEY NOT NULL,
	`score` real NOT NULL,
	`taken_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `query_stats` (
	`query` text NOT NULL,
	`mode` text NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	`last_at` text NOT NULL,
	PRIMARY KEY(`query`, `mode`)
);
--> statement-breakpoint
CREATE TABLE `resource_authors` (
	`resource_id` text NOT NULL,
	`position` integer NOT NULL,
	`author_id` text NOT NULL,
	`raw_name` text NOT NULL,
	PRIMARY KEY(`resource_id`, `position`)
);
--> statement-breakpoint
CREATE INDEX `resource_authors_author_idx` ON `resource_authors` (`author_id`);--> statement-breakpoint
CREATE TABLE `resource_keys` (
	`kind` text NOT NULL,
	`value` text NOT NULL,
	`resource_id` text NOT NULL,
	PRIMARY KEY(`kind`, `value`, `resource_id`)
);
--> statement-breakpoint
CREATE INDEX `resource_keys_resource_idx` ON `resource_keys` (`resource_id`);--> statement-breakpoint
CREATE TABLE `resource_stats` (
	`resource_id` text PRIMARY KEY NOT NULL,
	`reads` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE `resources` (
	`id` text PRIMARY KEY NOT NULL,
	`url` text,
	`source` text,
	`title` text,
	`description` text,
	`authors` text DEFAULT '[]' NOT NULL,
	`language` text,
	`content_type` text,
	`input_url` text,
	`input_content` text,
	`input_content_type` text,
	`provided_metadata` text DEFAULT '{}' NOT NULL,
	`content` text,
	`content_hash` text,
	`revision` integer DEFAULT 0 NOT NULL,
	`content_revision` integer DEFAULT 0 NOT NULL,
	`metadata_revision` integer DEFAULT 0 NOT NULL,
	`ingestion_status` text DEFAULT 'pending' NOT NULL,
	`ingestion_error` text,
	`ingested_at` text,
	`embedded_revision` integer DEFAULT 0 NOT NULL,
	`indexed_revision` integer DEFAULT 0 NOT NULL,
	`quality_revision` integer DEFAULT 0 NOT NULL,
	`quality_score` real,
	`quality_dimensions` text,
	`classified_revision` integer DEFAULT 0 NOT NULL,
	`graph_revision` integer DEFAULT 0 NOT NULL,
	`authors_revision` integer DEFAULT 0 NOT NULL,
	`batch_id` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `resources_hash_idx` ON `resources` (`content_hash`);--> statement-breakpoint
CREATE INDEX `resources_batch_idx` ON `resources` (`batch_id`);--> statement-breakpoint
CREATE INDEX `resources_created_idx` ON `resources` (`created_at`,`id`);--> statement-breakpoint
CREATE TABLE `task_runs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`task` text NOT NULL,
	`resource_id` text,
	`message_id` text,
	`attempt` integer NOT NULL,
	`status` text NOT NULL,
	`started_at` text NOT NULL,
	`finished_at` text,
	`duration_ms` real,
	`error` text,
	`stack` text,
	`correlation_id` text,
	`revision` integer,
	`detail` text
);
--> statement-breakpoint
CREATE INDEX `task_runs_task_idx` ON `task_runs` (`task`,`id`);--> statement-breakpoint
CREATE INDEX `task_runs_resource_idx` ON `task_runs` (`resource_id`,`id`);--> statement-breakpoint
CREATE INDEX `task_runs_started_idx` ON `task_runs` (`started_at`);--> statement-breakpoint
CREATE TABLE `user_profiles` (
	`user_id` text PRIMARY KEY NOT NULL,
	`interaction_count` integer DEFAULT 0 NOT NULL,
	`refreshed_count` integer DEFAULT 0 NOT NULL,
	`refresh_count` integer DEFAULT 0 NOT NULL,
	`vector` text,
	`top_resource_ids` text,
	`refreshed_at` text
);
