/**
 * The Redis every test shares (each with its own key prefix), as chosen by
 * test/globalSetup.ts for this run. Tests read it here, never a literal
 * address, so a run works on a machine without a Redis on 6379.
 */
import { inject } from "vitest";

export function sharedRedisUrl(): string {
  return inject("sharedRedisUrl");
}
