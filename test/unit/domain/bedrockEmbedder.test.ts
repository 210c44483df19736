import { describe, expect, it } from "vitest";
import type { InvokeModelCommand } from "@aws-sdk/client-bedrock-runtime";
import {
  ThrottlingException,
  ValidationException,
  AccessDeniedException,
  InternalServerException,
} from "@aws-sdk/client-bedrock-runtime";
import {
  classifyBedrockError,
  createBedrockEmbedder,
  truncateForTitan,
  TITAN_V2_MODEL_ID,
} from "@shared/adapters/embedders/bedrockEmbedder";
import type { InvokeModelSend } from "@shared/adapters/embedders/bedrockEmbedder";
import { createEmbedder } from "@shared/adapters/embedders";
import { PermanentError, TransientError } from "@shared/errors";
import { emptyTextVector, l2Norm } from "@shared/domain/vectors";

/**
 * BOUNDARY MOCK: Bedrock cannot be reached from here (no AWS account), so the
 * client's `send` is replaced. Everything on our side of it runs for real:
 * the request body, concurrency, truncation, parsing and error mapping.
 */
function bedrockBoundaryMock(
  respond: (body: { inputText: string; dimensions: number; normalize: boolean }) => unknown,
): { send: InvokeModelSend; calls: InvokeModelCommand[]; maxInFlight: () => number } {
  const calls: InvokeModelCommand[] = [];
  let inFlight = 0;
  let max = 0;
  const send: InvokeModelSend = async (command) => {
    calls.push(command);
    inFlight++;
    max = Math.max(max, inFlight);
    try {
      await new Promise((r) => setTimeout(r, 5));
      const body = JSON.parse(new TextDecoder().decode(command.input.body as Uint8Array)) as {
        inputText: string;
        dimensions: number;
        normalize: boolean;
      };
      const result = respond(body);
      return { body: new TextEncoder().encode(JSON.stringify(result)) as never };
    } finally {
      inFlight--;
    }
  };
  return { send, calls, maxInFlight: () => max };
}

/** A fake "embedding" that encodes the text length, so order can be checked. */
const lengthEmbedding = (body: { inputText: string; dimensions: number }) => ({
  embedding: Array.from({ length: body.dimensions }, (_, i) => (i === 0 ? body.inputText.length : 1)),
  inputTextTokenCount: 3,
});

const meta = (status: number) => ({ httpStatusCode: status });

describe("Bedrock Titan V2 embedder", () => {
  it("sends Titan V2 requests with 512 dimensions and normalisation", async () => {
    const mock = bedrockBoundaryMock(lengthEmbedding);
    const embedder = createBedrockEmbedder({ send: mock.send });
    const [v] = await embedder.embed(["hello world"]);
    expect(embedder.dimensions).toBe(512);
    expect(embedder.id).toBe(`bedrock:${TITAN_V2_MODEL_ID}:512`);
    const input = mock.calls[0]!.input;
    expect(input.modelId).toBe(TITAN_V2_MODEL_ID);
    expect(input.contentType).toBe("application/json");
    expect(JSON.parse(new TextDecoder().decode(input.body as Uint8Array))).toEqual({
      inputText: "hello world",
      dimensions: 512,
      normalize: true,
    });
    expect(v).toHaveLength(512);
    expect(l2Norm(v!)).toBeCloseTo(1, 5);
  });

  it("makes one call per text, in order, with bounded concurrency", async () => {
    const mock = bedrockBoundaryMock(lengthEmbedding);
    const embedder = createBedrockEmbedder({ send: mock.send, concurrency: 3 });
    const texts = Array.from({ length: 10 }, (_, i) => "x".repeat(i + 1));
    const vectors = await embedder.embed(texts);
    expect(mock.calls).toHaveLength(10);
    expect(mock.maxInFlight()).toBe(3);
    // Component 0 grows with the text length, so the order must follow the input.
    const firsts = vectors.map((v) => v[0]!);
    expect([...firsts].sort((a, b) => a - b)).toEqual(firsts);
  });

  it("truncates long input below Titan's limits", async () => {
    const mock = bedrockBoundaryMock(lengthEmbedding);
    await createBedrockEmbedder({ send: mock.send }).embed(["word ".repeat(20_000)]);
    const sent = JSON.parse(new TextDecoder().decode(mock.calls[0]!.input.body as Uint8Array)) as { inputText: string };
    expect(sent.inputText.length).toBeLessThanOrEqual(30_000);
    expect(sent.inputText.length).toBeGreaterThan(20_000);
    // Dense scripts count one token per character.
    expect(truncateForTitan("漢".repeat(20_000))).toHaveLength(8_000);
    // Never splits a surrogate pair.
    const emoji = truncateForTitan("😀".repeat(20_000), 8_000, 30_001);
    expect(emoji.length % 2).toBe(0);
  });

  it("does not call Bedrock for empty text", async () => {
    const mock = bedrockBoundaryMock(lengthEmbedding);
    const [v] = await createBedrockEmbedder({ send: mock.send }).embed(["   "]);
    expect(mock.calls).toHaveLength(0);
    expect(Array.from(v!)).toEqual(Array.from(emptyTextVector(512)));
  });

  it("maps throttling and server faults to TransientError", async () => {
    const throttled = bedrockBoundaryMock(() => {
      throw new ThrottlingException({ message: "Too many requests", $metadata: meta(429) });
    });
    await expect(createBedrockEmbedder({ send: throttled.send }).embed(["a"])).rejects.toBeInstanceOf(TransientError);
    const server = bedrockBoundaryMock(() => {
      throw new InternalServerException({ message: "boom", $metadata: meta(500) });
    });
    await expect(createBedrockEmbedder({ send: server.send }).embed(["a"])).rejects.toBeInstanceOf(TransientError);
    const network = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    expect(classifyBedrockError(network)).toBeInstanceOf(TransientError);
    expect(classifyBedrockError({ name: "Whatever", $metadata: meta(503) })).toBeInstanceOf(TransientError);
  });

  it("maps validation and access errors to PermanentError", async () => {
    const invalid = bedrockBoundaryMock(() => {
      throw new ValidationException({ message: "Malformed input request", $metadata: meta(400) });
    });
    const error = await createBedrockEmbedder({ send: invalid.send }).embed(["a"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PermanentError);
    expect((error as Error).message).toContain("ValidationException");
    expect(invalid.calls).toHaveLength(1);
    expect(classifyBedrockError(new AccessDeniedException({ message: "no", $metadata: meta(403) }))).toBeInstanceOf(
      PermanentError,
    );
  });

  it("halves input that Bedrock says has too many tokens, then succeeds", async () => {
    const lengths: number[] = [];
    const mock = bedrockBoundaryMock((body) => {
      lengths.push(body.inputText.length);
      if (body.inputText.length > 5_000) {
        throw new ValidationException({ message: "Too many input tokens. Max input tokens: 8192", $metadata: meta(400) });
      }
      return lengthEmbedding(body);
    });
    await createBedrockEmbedder({ send: mock.send }).embed(["abcdefghij".repeat(1_500)]);
    expect(lengths).toEqual([15_000, 7_500, 3_750]);
  });

  it("rejects a response without a 512-dimensional embedding as permanent", async () => {
    const mock = bedrockBoundaryMock(() => ({ embedding: [0.1, 0.2] }));
    await expect(createBedrockEmbedder({ send: mock.send }).embed(["a"])).rejects.toBeInstanceOf(PermanentError);
  });

  it("is chosen by createEmbedder", () => {
    expect(createEmbedder("bedrock", { bedrock: { send: bedrockBoundaryMock(lengthEmbedding).send } }).id).toContain(
      "titan-embed-text-v2",
    );
    expect(createEmbedder("lexical").id).toBe("local-lexical-v1");
  });
});
