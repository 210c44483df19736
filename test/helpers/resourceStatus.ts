/**
 * A resource's status as `GET /resources/{id}/status` answers it, and the wait
 * every end-to-end test needs: until the resource is up to date (its derived
 * data current for its revision), naming the failure if its ingestion failed.
 */
import { api, waitFor } from "./stack";
import type { ResourceStatus } from "@shared/app/resources";

export type { ResourceStatus };

export async function resourceStatus(stack: { url: string }, id: string, headers: Record<string, string> = {}): Promise<ResourceStatus> {
  return (await api<ResourceStatus>(stack, "GET", `/resources/${id}/status`, undefined, headers)).body;
}

export interface UntilCurrentOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** Sent with each status request (an API key where reads need one). */
  headers?: Record<string, string>;
}

/** Polls the status until up to date; throws when time runs out, with the last failure seen (a failed ingestion). */
export async function untilCurrent(stack: { url: string }, id: string, options: UntilCurrentOptions = {}): Promise<ResourceStatus> {
  return waitFor(
    async () => {
      const s = await resourceStatus(stack, id, options.headers);
      if (s.ingestion.status === "failed") throw new Error(`ingestion of ${id} failed: ${s.ingestion.error}`);
      return s.upToDate ? s : undefined;
    },
    options.timeoutMs ?? 45_000,
    options.intervalMs ?? 200,
  );
}

/** untilCurrent for several resources at once. */
export async function untilAllCurrent(stack: { url: string }, ids: readonly string[], options: UntilCurrentOptions = {}): Promise<ResourceStatus[]> {
  return Promise.all(ids.map((id) => untilCurrent(stack, id, options)));
}
