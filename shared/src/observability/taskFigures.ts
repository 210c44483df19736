/**
 * The fields metrics read from task lifecycle events (task.started/completed/
 * retrying/failed), checked rather than assumed: handlers on `*` see every
 * event, and a payload of another shape simply has no task figures.
 */
import * as z from "zod";

const taskFieldsSchema = z.object({ task: z.string().optional(), status: z.string().optional(), durationMs: z.number().optional() });
export type TaskFields = z.infer<typeof taskFieldsSchema>;

export function taskFieldsOf(payload: unknown): TaskFields {
  const parsed = taskFieldsSchema.safeParse(payload);
  return parsed.success ? parsed.data : {};
}
