import { describe, expect, it, vi } from "vitest";
import { EventEmitter, HISTORY_LIMIT } from "@shared/events/emitter";

const quietLog = { debug: vi.fn(), info: vi.fn(), warn: vi.fn(), error: vi.fn() };

describe("EventEmitter (requirement 1)", () => {
  it("is a process-wide singleton", () => {
    expect(EventEmitter.shared()).toBe(EventEmitter.shared());
  });

  it("runs sync and async handlers and waits for the async ones", async () => {
    const em = new EventEmitter<Record<string, unknown>>(quietLog);
    const seen: string[] = [];
    em.on("a.b", () => void seen.push("sync"));
    em.on("a.b", async () => {
      await new Promise((r) => setTimeout(r, 5));
      seen.push("async");
    });
    const result = await em.emit("a.b", {});
    expect(seen).toEqual(["sync", "async"]);
    expect(result).toEqual({ handled: 2, failed: 0 });
  });

  it("isolates a failing handler: the others run and the error is logged", async () => {
    const log = { ...quietLog, error: vi.fn() };
    const em = new EventEmitter<Record<string, unknown>>(log);
    const ran: number[] = [];
    em.on("x.y", () => {
      throw new Error("boom");
    });
    em.on("x.y", async () => {
      throw new Error("async boom");
    });
    em.on("x.y", () => void ran.push(3));
    const result = await em.emit("x.y", {});
    expect(ran).toEqual([3]);
    expect(result.failed).toBe(2);
    expect(log.error).toHaveBeenCalledTimes(2);
  });

  it("runs handlers by order, then wildcard handlers; off() unregisters", async () => {
    const em = new EventEmitter<Record<string, unknown>>(quietLog);
    const seen: string[] = [];
    em.on("*", () => void seen.push("any"));
    em.on("e.v", () => void seen.push("low"), { order: 1 });
    const off = em.on("e.v", () => void seen.push("high"), { order: 9 });
    await em.emit("e.v", {});
    expect(seen).toEqual(["high", "low", "any"]);
    off();
    seen.length = 0;
    await em.emit("e.v", {});
    expect(seen).toEqual(["low", "any"]);
  });

  it("keeps the last 1000 events, newest first, with timestamp, priority and correlation id", async () => {
    const em = new EventEmitter<Record<string, unknown>>(quietLog);
    for (let i = 0; i < 1234; i++) await em.emit("n.i", { i }, { priority: (i % 10) + 1, correlationId: `c${i % 3}` });
    const h = em.history();
    expect(h).toHaveLength(HISTORY_LIMIT);
    expect((h[0]!.payload as { i: number }).i).toBe(1233);
    expect((h[999]!.payload as { i: number }).i).toBe(234);
    expect(h[0]!.priority).toBe((1233 % 10) + 1);
    expect(Date.parse(h[0]!.timestamp)).not.toBeNaN();
    expect(em.history({ correlationId: "c0", limit: 5 }).every((e) => e.correlationId === "c0")).toBe(true);
  });
});
