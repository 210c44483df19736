/**
 * A FIFO async mutex. SQLite allows one writer; libSQL waits for the file lock
 * synchronously, so two write transactions of one process on two connections
 * would block the event loop the first one needs to commit. Serialising the
 * writes of a process here avoids that; other processes still wait on the lock.
 */
export class Mutex {
  #tail: Promise<void> = Promise.resolve();
  #waiting = 0;

  get waiting(): number {
    return this.#waiting;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.#tail;
    let release!: () => void;
    this.#tail = new Promise<void>((r) => (release = r));
    this.#waiting++;
    try {
      await previous;
      return await fn();
    } finally {
      this.#waiting--;
      release();
    }
  }
}
