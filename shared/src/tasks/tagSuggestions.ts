/**
 * Tag suggestions (LOW, 60 s debounce; issue 18): retrains the tag models on
 * people's decisions and refreshes the suggestions, off the HTTP request.
 * A message is a numbered request (`tags.retrain_requested`). Idempotent: a
 * request that a finished run already covers (the run read the decisions
 * after the request was made) is skipped, so many requests in the queue's
 * delay, or a batch of them, make one run; a redelivered message trains
 * nothing again.
 */
import { refreshTagSuggestions, tagTrainingStatus } from "../app/tags";
import { Events, type DomainEvent } from "../events/catalogue";
import { defineTask, type TaskResult, type TaskRunContext } from "./types";

type Request = DomainEvent<"tags.retrain_requested">;

export const tagSuggestionsTask = defineTask({
  name: "tag-suggestions",
  consumes: [Events.tags.retrainRequested],
  subjectOf: () => null,
  async run(event, ctx) {
    const [result] = await retrain([event], ctx);
    return result!;
  },
  runBatch: (events, ctx) => retrain(events, ctx),
});

async function retrain(events: readonly Request[], ctx: TaskRunContext): Promise<TaskResult[]> {
  const { lastRun } = await tagTrainingStatus(ctx.app);
  const covered = lastRun?.covers ?? 0;
  const due = events.filter((e) => e.payload.request > covered);
  if (due.length === 0) {
    return events.map((e) => ({ status: "skipped", reason: `covered by the run of ${lastRun?.startedAt ?? "?"}`, revision: e.payload.request }));
  }
  // The newest due request runs; the others in this batch ride along.
  const runner = due.reduce((a, b) => (b.payload.request > a.payload.request ? b : a));
  const results = events.map((e): TaskResult =>
    e === runner
      ? { status: "succeeded", revision: e.payload.request }
      : { status: "skipped", reason: e.payload.request > covered ? "covered by this batch's run" : `covered by the run of ${lastRun?.startedAt ?? "?"}`, revision: e.payload.request },
  );
  await refreshTagSuggestions(ctx.app, runner.payload.trigger, ctx.correlationId, () => results);
  return results;
}
