/**
 * Calls and notes between the API process and its worker processes, over the
 * IPC channel `child_process.fork` opens (JSON messages). Either side can call
 * a named method of the other and await its answer, or send a note that
 * needs none. Calls still open when the channel closes are rejected, so a
 * worker that dies never leaves a caller waiting.
 */
import type { ChildProcess } from "node:child_process";
import { errorMessage } from "@shared/errors";

/** The parent's view of a child (ChildProcess) or a child's view of its parent (`process`). */
export type IpcChannel = Pick<ChildProcess, "send" | "on" | "off"> | NodeJS.Process;

type Wire =
  | { ipc: "call"; id: number; method: string; args: unknown }
  | { ipc: "reply"; id: number; ok: true; value: unknown }
  | { ipc: "reply"; id: number; ok: false; error: string; name: string }
  | { ipc: "note"; type: string; body: unknown };

export type CallHandler = (args: never) => Promise<unknown> | unknown;

export class RemoteCallError extends Error {
  override name = "RemoteCallError";
  constructor(
    message: string,
    /** The error's name on the other side. */
    readonly remoteName: string,
  ) {
    super(message);
  }
}

export class IpcPeer {
  #next = 1;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly #handlers = new Map<string, CallHandler>();
  readonly #notes = new Map<string, (body: never) => void>();
  #closed = false;
  readonly #onMessage = (raw: unknown) => void this.#receive(raw as Wire);

  constructor(private readonly channel: IpcChannel) {
    (channel as NodeJS.EventEmitter).on("message", this.#onMessage);
  }

  /** Answers calls of `method` from the other side. */
  handle<A>(method: string, fn: (args: A) => Promise<unknown> | unknown): this {
    this.#handlers.set(method, fn as CallHandler);
    return this;
  }

  onNote<B>(type: string, fn: (body: B) => void): this {
    this.#notes.set(type, fn as (body: never) => void);
    return this;
  }

  call<T>(method: string, args: unknown): Promise<T> {
    if (this.#closed) return Promise.reject(new RemoteCallError(`${method}: the other process is gone`, "ChannelClosed"));
    const id = this.#next++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#send({ ipc: "call", id, method, args }, (e) => {
        this.#pending.delete(id);
        reject(new RemoteCallError(`${method}: ${errorMessage(e)}`, "ChannelClosed"));
      });
    });
  }

  /** Sends a note; resolves once it is handed to the channel (before a process exits, await it). */
  note(type: string, body: unknown): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#send({ ipc: "note", type, body }, () => resolve(), () => resolve()));
  }

  /** Rejects every open call; later calls reject at once. */
  close(reason = "the other process is gone"): void {
    this.#closed = true;
    (this.channel as NodeJS.EventEmitter).off("message", this.#onMessage);
    for (const [id, p] of this.#pending) {
      this.#pending.delete(id);
      p.reject(new RemoteCallError(reason, "ChannelClosed"));
    }
  }

  #send(message: Wire, onError: (e: unknown) => void, onSent?: () => void): void {
    try {
      this.channel.send!(message, undefined, undefined, (e: Error | null) => {
        if (e) onError(e);
        else onSent?.();
      });
    } catch (e) {
      onError(e);
    }
  }

  async #receive(m: Wire): Promise<void> {
    if (!m || typeof m !== "object" || !("ipc" in m)) return;
    if (m.ipc === "reply") {
      const p = this.#pending.get(m.id);
      if (!p) return;
      this.#pending.delete(m.id);
      if (m.ok) p.resolve(m.value);
      else p.reject(new RemoteCallError(m.error, m.name));
      return;
    }
    if (m.ipc === "note") {
      this.#notes.get(m.type)?.(m.body as never);
      return;
    }
    const handler = this.#handlers.get(m.method);
    try {
      if (!handler) throw new Error(`no handler for ${m.method}`);
      const value = await handler(m.args as never);
      this.#send({ ipc: "reply", id: m.id, ok: true, value: value ?? null }, () => undefined);
    } catch (e) {
      this.#send({ ipc: "reply", id: m.id, ok: false, error: errorMessage(e), name: e instanceof Error ? e.name : "Error" }, () => undefined);
    }
  }
}
