/**
 * Priority levels of the requirements: ten levels, higher = more urgent.
 *
 * SQS has no message priority, so a level becomes consumer capacity: how many
 * copies of a task may run at once (Lambda event source mapping maximum
 * concurrency on AWS, poller concurrency locally) and how much memory the task
 * function gets. `docs/architecture.md` carries the same table for humans.
 */
export const Priority = {
  URGENT: 9,
  HIGH: 7,
  MEDIUM: 5,
  LOW: 3,
} as const;

export type PriorityLevel = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10;

export interface CapacityTier {
  /** Lambda event source mapping `maxConcurrency` (AWS allows 2..1000). */
  lambdaMaxConcurrency: number;
  /** Concurrent receive loops of the local poller for a queue of this tier. */
  localConcurrency: number;
  /** Upper bound the local poller may scale to when the queue is deep (requirement 15.4). */
  localMaxConcurrency: number;
}

/** One mapping from level to capacity; every consumer reads it from here. */
export function capacityFor(level: PriorityLevel): CapacityTier {
  if (level >= 9) return { lambdaMaxConcurrency: 50, localConcurrency: 4, localMaxConcurrency: 8 };
  if (level >= 7) return { lambdaMaxConcurrency: 20, localConcurrency: 2, localMaxConcurrency: 6 };
  if (level >= 5) return { lambdaMaxConcurrency: 10, localConcurrency: 1, localMaxConcurrency: 4 };
  return { lambdaMaxConcurrency: 2, localConcurrency: 1, localMaxConcurrency: 2 };
}

export function priorityName(level: number): string {
  if (level >= 9) return "URGENT";
  if (level >= 7) return "HIGH";
  if (level >= 5) return "MEDIUM";
  return "LOW";
}
