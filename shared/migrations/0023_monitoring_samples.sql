-- The dashboard sampler's readings (issue 18): the last hour of queue depths, dead letters, freshness lag and cache hit rate survives a restart of the API process.
CREATE TABLE `monitoring_samples` (
	`t` text PRIMARY KEY NOT NULL,
	`sample` text NOT NULL
);
