import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { ForwardingResultRegistry, packVectors, receivedChange, serveWorker, unpackVectors } from "@local/workers/forwarding";
import { IpcPeer, type IpcChannel } from "@local/workers/ipc";
import type { AppContext } from "@shared/app/context";
import type { ResourceChange } from "@shared/ports/resultRegistry";

/** Two ends of an IPC channel: what one sends the other receives, through JSON as fork's channel does. */
function channelPair(): { worker: IpcChannel; api: IpcChannel; wire: string[] } {
  const wire: string[] = [];
  const a = new EventEmitter();
  const b = new EventEmitter();
  const end = (self: EventEmitter, other: EventEmitter) =>
    Object.assign(self, {
      send(message: unknown) {
        const json = JSON.stringify(message);
        wire.push(json);
        setImmediate(() => other.emit("message", JSON.parse(json)));
        return true;
      },
    }) as unknown as IpcChannel;
  return { worker: end(a, b), api: end(b, a), wire };
}

const f32 = (xs: number[]) => Array.from(Float32Array.from(xs));

describe("worker → API: a resource's vectors over IPC", () => {
  it("reach the API's result registry as the same float32 values, sent as one base64 string", async () => {
    const { worker, api, wire } = channelPair();
    const seen: ResourceChange[] = [];
    serveWorker(new IpcPeer(api), {
      searchResults: {
        reserve: async () => "t",
        record: async () => undefined,
        affectedBy: async (change: ResourceChange) => {
          seen.push(change);
          return [{ key: "search:k" }];
        },
      },
    } as unknown as AppContext);
    const vectors = Array.from({ length: 300 }, (_, i) => Array.from({ length: 512 }, (_, d) => Math.sin(i * 512 + d) / 3));
    const affected = await new ForwardingResultRegistry(new IpcPeer(worker)).affectedBy({ resourceId: "r1", vectors });
    expect(affected).toEqual([{ key: "search:k" }]);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.resourceId).toBe("r1");
    expect(seen[0]!.vectors).toEqual(vectors.map(f32));
    // The call on the wire: no JSON numbers for the vectors (~19 characters each) but their float32 bytes in base64 (5⅓ per number).
    const call = wire.find((w) => w.includes('"method":"results.affectedBy"'))!;
    expect(call.length).toBeLessThan(300 * 512 * 6);
  });

  it("a change without vectors (text only) arrives without them", async () => {
    const { worker, api } = channelPair();
    const seen: ResourceChange[] = [];
    serveWorker(new IpcPeer(api), { searchResults: { affectedBy: async (c: ResourceChange) => (seen.push(c), []) } } as unknown as AppContext);
    await new ForwardingResultRegistry(new IpcPeer(worker)).affectedBy({ resourceId: "r2" });
    expect(seen).toEqual([{ resourceId: "r2" }]);
  });

  it("the API decodes a change's vectors only when its registry reads them (none recorded: never), and once", () => {
    // Bytes that do not match the count: decoding them throws, so not throwing means not decoded.
    const corrupt = receivedChange({ resourceId: "r3", vectors: { count: 2, dimensions: 2, base64: Buffer.from(new Float32Array(3).buffer).toString("base64") } });
    expect(corrupt.resourceId).toBe("r3");
    expect(() => corrupt.vectors).toThrow(/length/);
    const vectors = [f32([0.1, 0.2]), f32([0.3, 0.4])];
    const change = receivedChange({ resourceId: "r4", vectors: packVectors(vectors) });
    expect(change.vectors).toEqual(vectors);
    expect(change.vectors).toBe(change.vectors);
    expect(receivedChange({ resourceId: "r5" })).toEqual({ resourceId: "r5" });
  });

  it("packs and unpacks empty and mismatched input", () => {
    expect(unpackVectors(packVectors([]))).toEqual([]);
    expect(() => packVectors([[1, 2], [1]])).toThrow(/dimensions/);
    expect(() => unpackVectors({ count: 2, dimensions: 2, base64: Buffer.from(new Float32Array(3).buffer).toString("base64") })).toThrow(/length/);
  });
});
