/** Publishes outbox events their writer could not publish (bus down, process killed), then prunes old ones. */
import type { JobDefinition } from "./types";

export const outboxSweepJob: JobDefinition = {
  name: "outbox-sweep",
  async run(app) {
    const swept = await app.relay.sweep(10_000);
    const pruned = await app.relay.prune();
    return { published: swept.published, pending: swept.pending, pruned };
  },
};
