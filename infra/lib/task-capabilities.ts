/**
 * What a task's function may do beyond the baseline every consumer gets (its
 * own queue, its DLQ, the bus, the libSQL secret, the cache). Keyed by task
 * name, so a typo is a type error and a renamed task fails to compile.
 */
import type { TaskName } from "@shared/events/routing";

export interface TaskCapabilities {
  /** bedrock:InvokeModel on the embedding model. */
  embeddingModel?: boolean;
}

export const taskCapabilities: Partial<Record<TaskName, TaskCapabilities>> = {
  embedding: { embeddingModel: true },
};

export function capabilitiesOf(task: TaskName): TaskCapabilities {
  return taskCapabilities[task] ?? {};
}
