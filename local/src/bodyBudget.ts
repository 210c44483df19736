/**
 * One budget for the request bytes the local server holds in memory across
 * all requests at once. Each body reserves what it has received; when a chunk
 * would overrun the budget the request is refused (503, Retry-After) instead
 * of letting many slow uploads add up to gigabytes.
 */
export class BodyBudget {
  private inUse = 0;

  constructor(readonly limitBytes: number) {}

  /** Bytes held right now by bodies being read (the gauge the tests and /metrics read). */
  get bufferedBytes(): number {
    return this.inUse;
  }

  tryReserve(bytes: number): boolean {
    if (this.inUse + bytes > this.limitBytes) return false;
    this.inUse += bytes;
    return true;
  }

  release(bytes: number): void {
    this.inUse = Math.max(0, this.inUse - bytes);
  }
}
