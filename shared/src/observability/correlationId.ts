/**
 * Correlation ids arrive from clients (`x-correlation-id`) and from queue
 * messages: they are echoed in headers, logged, stored with task runs and
 * shown by /monitoring, so each is cut to a safe length and alphabet at every
 * entry point, never trusted as sent.
 */
import { randomUUID } from "node:crypto";

export const MAX_CORRELATION_ID_LENGTH = 128;
const UNSAFE = /[^A-Za-z0-9._:@/+=-]/g;

/** `raw` restricted to letters, digits and `._:@/+=-`, at most 128 characters; a new UUID when nothing is left. */
export function safeCorrelationId(raw: string | null | undefined): string {
  const cleaned = (raw ?? "").slice(0, MAX_CORRELATION_ID_LENGTH * 4).replace(UNSAFE, "").slice(0, MAX_CORRELATION_ID_LENGTH);
  return cleaned === "" ? randomUUID() : cleaned;
}
