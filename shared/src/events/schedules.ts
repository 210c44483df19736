/**
 * The schedule table (requirement 6): cron jobs, written once. The local runtime
 * fires them with a cron library; CDK turns each into an EventBridge Scheduler
 * schedule (`toAwsCron` converts the expression).
 */
export const JobNames = [
  "quality-degradation",
  "quality-outliers",
  "classifier-retraining",
  "cache-cleanup",
  "reconciler",
  "outbox-sweep",
] as const;
export type JobName = (typeof JobNames)[number];

export interface Schedule {
  job: JobName;
  /** Standard five-field cron: minute hour day-of-month month day-of-week. */
  cron: string;
  timeZone: string;
  description: string;
}

export const schedules: readonly Schedule[] = [
  { job: "quality-degradation", cron: "0 2 * * *", timeZone: "UTC", description: "Daily 02:00: find resources whose quality dropped beyond the threshold since the last run (requirement 6.1)." },
  { job: "quality-outliers", cron: "0 3 * * 0", timeZone: "UTC", description: "Sundays 03:00: flag quality outliers by median/MAD over each dimension (requirement 6.2)." },
  { job: "classifier-retraining", cron: "0 0 1 * *", timeZone: "UTC", description: "1st of each month 00:00: retrain the classifier when labels changed (requirement 6.3)." },
  { job: "cache-cleanup", cron: "0 4 * * *", timeZone: "UTC", description: "Daily 04:00: remove orphaned and expired cache entries, compact stats (requirement 6.4)." },
  { job: "reconciler", cron: "*/5 * * * *", timeZone: "UTC", description: "Every 5 minutes: re-queue resources whose derived data lags (docs/architecture.md, Reconciler)." },
  { job: "outbox-sweep", cron: "* * * * *", timeZone: "UTC", description: "Every minute: publish outbox events the writer could not publish (docs/architecture.md, Outbox)." },
];

const DOW = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/**
 * Converts a five-field cron into EventBridge Scheduler's six-field form
 * `cron(min hour dom month dow year)`, where one of day-of-month and
 * day-of-week must be `?`.
 */
export function toAwsCron(cron: string): string {
  const parts = cron.trim().split(/\s+/);
  if (parts.length !== 5) throw new Error(`expected five cron fields, got "${cron}"`);
  const [min, hour, dom, month, dow] = parts as [string, string, string, string, string];
  const step = (f: string) => f.replace(/^\*\/(\d+)$/, "0/$1");
  const awsDow = dow === "*" ? "?" : dow.replace(/\d/g, (d) => DOW[Number(d) % 7] ?? d);
  const awsDom = dow === "*" ? dom : "?";
  return `cron(${step(min)} ${step(hour)} ${awsDom} ${month} ${awsDow} *)`;
}
