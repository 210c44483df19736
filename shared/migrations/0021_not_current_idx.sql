-- The resources not yet current (issue 14): a partial index on updated_at holding only them (with the
-- columns its WHERE reads, so SQLite need not visit the rows to re-check it), so the
-- dashboard's freshness lag (shared/src/app/monitoringSeries.ts) is read from the index alone, at a cost
-- that follows the lagging rows, not the library. Its WHERE is RESOURCES_NOT_CURRENT in
-- shared/src/adapters/libsql/schema.ts: SQLite uses the index only for a query with the same term.
CREATE INDEX `resources_not_current_idx` ON `resources` (`updated_at`, `ingestion_status`, `embedded_revision`, `content_revision`, `indexed_revision`, `revision`, `quality_revision`, `classified_revision`) WHERE ingestion_status IN ('pending', 'processing')
  OR (ingestion_status = 'completed' AND (embedded_revision < content_revision OR indexed_revision < revision OR quality_revision < revision OR classified_revision < content_revision));
