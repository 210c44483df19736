-- Reprocess batches (issue 18): a batch that re-runs stages of existing resources names them and the stages.
ALTER TABLE `batches` ADD `resource_ids` text;
--> statement-breakpoint
ALTER TABLE `batches` ADD `stages` text;
