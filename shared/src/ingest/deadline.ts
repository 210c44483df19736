/**
 * One deadline for a whole multi-step operation.
 *
 * A per-socket timeout would let a server trickle one byte every few seconds
 * forever; a single deadline bounds DNS, connect, headers, body and every
 * redirect together. Steps that take an AbortSignal get `signal`; steps that
 * cannot be aborted (dns.lookup) are raced with `race`.
 */
export class Deadline {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private hasExpired = false;

  constructor(readonly timeoutMs: number) {
    this.timer = setTimeout(() => {
      this.hasExpired = true;
      this.controller.abort(new Error(`deadline of ${timeoutMs} ms passed`));
    }, timeoutMs);
    // A pending deadline must not keep a CLI or test process alive.
    this.timer.unref();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get expired(): boolean {
    return this.hasExpired;
  }

  /** Settle with `work`, or reject as soon as the deadline passes. */
  race<T>(work: Promise<T>): Promise<T> {
    const signal = this.controller.signal;
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason as Error);
      signal.addEventListener("abort", onAbort, { once: true });
      work.then(
        (value) => {
          signal.removeEventListener("abort", onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener("abort", onAbort);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  clear(): void {
    clearTimeout(this.timer);
  }
}
