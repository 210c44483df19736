/**
 * Error classes shared by the API and the tasks.
 *
 * Tasks tell transient failures (worth a retry with backoff: timeouts, 5xx,
 * an unreachable dependency) from permanent ones (retrying cannot help: bad
 * input, a refused URL, unparseable content). Anything not marked permanent is
 * treated as transient, because losing work is worse than retrying it.
 */
export class PermanentError extends Error {
  override name = "PermanentError";
}

export class TransientError extends Error {
  override name = "TransientError";
}

/** A client error the API answers with a 4xx and this message. */
export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly status: number,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export class NotFoundError extends HttpError {
  override name = "NotFoundError";
  constructor(what: string) {
    super(404, `${what} not found`);
  }
}

export function isPermanent(error: unknown): boolean {
  return error instanceof PermanentError;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
