ALTER TABLE `task_runs` ADD `event_id` text;--> statement-breakpoint
CREATE INDEX `task_runs_event_idx` ON `task_runs` (`event_id`,`task`);