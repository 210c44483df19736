import { BedrockRuntimeClient, InvokeModelCommand } from "@aws-sdk/client-bedrock-runtime";
import type { InvokeModelCommandOutput } from "@aws-sdk/client-bedrock-runtime";
import type { Embedder } from "../../ports/embedder";
import { EMBEDDING_DIMENSIONS } from "../../ports/embedder";
import { PermanentError, TransientError, errorMessage } from "../../errors";
import { emptyTextVector, l2NormalizeInPlace } from "../../domain/vectors";
import { mapWithConcurrency } from "./concurrency";

/**
 * Amazon Titan Text Embeddings V2 through Bedrock's InvokeModel.
 *
 * Titan V2 embeds one text per call, so a batch becomes parallel calls with a
 * bounded concurrency (Bedrock throttles per account and model; unbounded
 * fan-out just converts into ThrottlingExceptions).
 */
export const TITAN_V2_MODEL_ID = "amazon.titan-embed-text-v2:0";

/**
 * Titan V2 accepts up to 8,192 tokens (and 50,000 characters) per text. We
 * stay below both with a conservative estimate (see {@link truncateForTitan}).
 */
export const TITAN_MAX_TOKENS = 8_000;
export const TITAN_MAX_CHARS = 30_000;

/** Sends one InvokeModel command: the Bedrock client's `send`, or a boundary mock in tests. */
export type InvokeModelSend = (command: InvokeModelCommand) => Promise<Pick<InvokeModelCommandOutput, "body">>;

export interface BedrockEmbedderOptions {
  modelId?: string;
  region?: string;
  dimensions?: number;
  /** Parallel InvokeModel calls per `embed` batch. Default 4. */
  concurrency?: number;
  /** Overrides the client; tests inject a boundary mock here. */
  send?: InvokeModelSend;
}

export function createBedrockEmbedder(options: BedrockEmbedderOptions = {}): Embedder {
  const modelId = options.modelId ?? TITAN_V2_MODEL_ID;
  const dimensions = options.dimensions ?? EMBEDDING_DIMENSIONS;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  const send = options.send ?? defaultSend(options.region);

  async function embedOne(text: string): Promise<Float32Array> {
    let input = truncateForTitan(text);
    // Titan rejects empty input; an empty text gets the same fixed vector as
    // in the local embedder instead of a failed task that can never succeed.
    if (input.trim().length === 0) return emptyTextVector(dimensions);
    // Our token estimate can be wrong for unusual scripts; on a "too many
    // tokens" validation error, halve the text and try again (twice at most).
    for (let attempt = 0; ; attempt++) {
      try {
        return await invoke(input);
      } catch (error) {
        if (attempt < 2 && isInputTooLong(error)) {
          input = cutAtCodePoint(input, Math.floor(input.length / 2));
          continue;
        }
        throw classifyBedrockError(error);
      }
    }
  }

  async function invoke(inputText: string): Promise<Float32Array> {
    const command = new InvokeModelCommand({
      modelId,
      contentType: "application/json",
      accept: "application/json",
      body: new TextEncoder().encode(JSON.stringify({ inputText, dimensions, normalize: true })),
    });
    const output = await send(command);
    return parseEmbedding(output.body, dimensions);
  }

  return {
    id: `bedrock:${modelId}:${dimensions}`,
    dimensions,
    embed: (texts) => mapWithConcurrency(texts, concurrency, embedOne),
  };
}

function defaultSend(region: string | undefined): InvokeModelSend {
  // One client per embedder: it keeps its HTTP connections across Lambda invocations.
  const client = new BedrockRuntimeClient(region ? { region } : {});
  return (command) => client.send(command);
}

/**
 * Cuts `text` so Titan's token limit is respected. The estimate is
 * deliberately pessimistic: ~3.3 characters per token for alphabetic scripts
 * (English averages ~4) and one token per character for CJK, Thai and other
 * scripts written without spaces, which tokenise far more densely.
 */
export function truncateForTitan(text: string, maxTokens = TITAN_MAX_TOKENS, maxChars = TITAN_MAX_CHARS): string {
  let tokens = 0;
  let end = 0;
  for (const ch of text) {
    tokens += DENSE_SCRIPT.test(ch) ? 1 : 0.3;
    if (tokens > maxTokens || end + ch.length > maxChars) break;
    end += ch.length;
  }
  return text.slice(0, end);
}
const DENSE_SCRIPT = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}]/u;

function cutAtCodePoint(text: string, length: number): string {
  const code = text.charCodeAt(length - 1);
  // Never leave half a surrogate pair at the end.
  return code >= 0xd800 && code <= 0xdbff ? text.slice(0, length - 1) : text.slice(0, length);
}

function parseEmbedding(body: Uint8Array | undefined, dimensions: number): Float32Array {
  if (!body) throw new PermanentError("Bedrock returned no body");
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw new PermanentError("Bedrock returned a body that is not JSON");
  }
  const embedding = (parsed as { embedding?: unknown }).embedding;
  if (!Array.isArray(embedding) || embedding.length !== dimensions || !embedding.every(isFiniteNumber)) {
    throw new PermanentError(`Bedrock returned no ${dimensions}-dimensional embedding`);
  }
  // Titan already normalises; renormalising in float32 makes the norm exactly ~1 for our checks.
  return l2NormalizeInPlace(Float32Array.from(embedding));
}

function isFiniteNumber(x: unknown): x is number {
  return typeof x === "number" && Number.isFinite(x);
}

/** Errors worth retrying: capacity, throttling, timeouts and server faults. */
const TRANSIENT_NAMES = new Set([
  "ThrottlingException",
  "ServiceUnavailableException",
  "InternalServerException",
  "ModelTimeoutException",
  "ModelNotReadyException",
  "ServiceQuotaExceededException",
  "ModelErrorException",
  "TimeoutError",
  "RequestTimeout",
]);
/** Errors no retry can fix: bad input, missing model access, unknown model. */
const PERMANENT_NAMES = new Set(["ValidationException", "AccessDeniedException", "ResourceNotFoundException"]);

interface AwsLikeError {
  name?: string;
  $fault?: "client" | "server";
  $metadata?: { httpStatusCode?: number };
}

/**
 * Maps an SDK error to the project's error classes. Unknown errors (network
 * resets, DNS) are transient: losing work is worse than retrying it.
 */
export function classifyBedrockError(error: unknown): Error {
  if (error instanceof PermanentError || error instanceof TransientError) return error;
  const e = (typeof error === "object" && error !== null ? error : {}) as AwsLikeError;
  const status = e.$metadata?.httpStatusCode;
  const message = `Bedrock ${e.name ?? "error"}: ${errorMessage(error)}`;
  let permanent: boolean;
  if (e.name && PERMANENT_NAMES.has(e.name)) permanent = true;
  else if (e.name && TRANSIENT_NAMES.has(e.name)) permanent = false;
  else if (status !== undefined) permanent = status >= 400 && status < 500 && status !== 408 && status !== 429;
  else permanent = false;
  const mapped = permanent ? new PermanentError(message) : new TransientError(message);
  mapped.cause = error;
  return mapped;
}

function isInputTooLong(error: unknown): boolean {
  const name = (error as AwsLikeError | null)?.name;
  return name === "ValidationException" && /token|too long|length|characters/i.test(errorMessage(error));
}
