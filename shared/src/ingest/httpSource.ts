/**
 * One HTTP(S) GET against a vetted address, and a size-limited body reader.
 *
 * Built on node:http/https rather than global fetch because fetch (undici)
 * offers no per-request hook to pin the connection to the address we checked;
 * here a custom `lookup` hands the socket only the vetted addresses while the
 * URL's hostname still drives the Host header, SNI and certificate checks.
 */
import http from "node:http";
import https from "node:https";
import type { LookupFunction } from "node:net";
import { pipeline, type Readable, type Transform } from "node:stream";
import zlib from "node:zlib";
import { stripBrackets } from "./addressPolicy";
import { ContentTooLargeError, FetchNetworkError, UnsupportedContentError } from "./errors";
import type { VettedAddress } from "./hostVetting";

export interface HttpResponseHead {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
}

const ACCEPT = "text/html,application/xhtml+xml,application/pdf;q=0.9,text/markdown;q=0.9,text/plain;q=0.8,*/*;q=0.5";

export function requestOnce(
  url: URL,
  addresses: VettedAddress[],
  options: { signal: AbortSignal; userAgent: string },
): Promise<HttpResponseHead> {
  const client = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      {
        protocol: url.protocol,
        hostname: stripBrackets(url.hostname),
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method: "GET",
        headers: { "user-agent": options.userAgent, accept: ACCEPT, "accept-encoding": "gzip, deflate, br" },
        // A fresh socket per request: a pooled keep-alive socket would skip
        // our lookup and could belong to an address checked for another URL.
        agent: false,
        lookup: pinnedLookup(addresses),
        signal: options.signal,
      },
      (response) => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: response }),
    );
    request.on("error", (error) => reject(toNetworkError(error, url)));
    request.end();
  });
}

/**
 * A `lookup` for net.connect that answers only with pre-vetted addresses.
 * Node calls it with `all: true` when happy-eyeballs family selection is on,
 * so both shapes of the callback are served.
 */
export function pinnedLookup(addresses: VettedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const wanted = options.family === 4 || options.family === 6 ? options.family : null;
    const usable = wanted === null ? addresses : addresses.filter((entry) => entry.family === wanted);
    const first = usable[0];
    if (!first) {
      const error: NodeJS.ErrnoException = new Error("no vetted address of the requested family");
      error.code = "ENOTFOUND";
      callback(error, "", 0);
      return;
    }
    if (options.all) callback(null, usable.map((entry) => ({ address: entry.address, family: entry.family })));
    else callback(null, first.address, first.family);
  };
}

/**
 * Read the (decompressed) body, refusing it as soon as it passes `maxBytes`.
 * Content-Length is checked first so an honest oversized answer costs nothing;
 * the running count catches dishonest or chunked ones and compression bombs.
 */
export async function readBodyWithLimit(head: HttpResponseHead, maxBytes: number, url: URL): Promise<Uint8Array> {
  const declaredLength = Number(head.headers["content-length"]);
  if (Number.isFinite(declaredLength) && declaredLength > maxBytes) {
    head.body.destroy();
    throw new ContentTooLargeError(maxBytes);
  }
  const stream = decodedStream(head);
  const chunks: Buffer[] = [];
  let total = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      total += chunk.length;
      if (total > maxBytes) throw new ContentTooLargeError(maxBytes);
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof ContentTooLargeError) throw error;
    throw toNetworkError(error, url);
  } finally {
    head.body.destroy();
    if (stream !== head.body) stream.destroy();
  }
  // http.IncomingMessage ends quietly when the peer closes early on a
  // Content-Length response; a short body is a truncated transfer.
  if (!head.headers["content-encoding"] && Number.isFinite(declaredLength) && total < declaredLength) {
    throw new FetchNetworkError(`body from ${url.origin} ended after ${total} of ${declaredLength} bytes`, "ECONNRESET");
  }
  return new Uint8Array(Buffer.concat(chunks, total));
}

function decodedStream(head: HttpResponseHead): Readable {
  const encoding = (head.headers["content-encoding"] ?? "identity").trim().toLowerCase();
  if (encoding === "" || encoding === "identity") return head.body;
  const decoder = decoderFor(encoding);
  if (!decoder) {
    head.body.destroy();
    throw new UnsupportedContentError(`unsupported Content-Encoding "${encoding}"`);
  }
  // pipeline (unlike pipe) destroys the decoder when the socket fails or is
  // aborted, so the reader sees the error instead of waiting forever.
  pipeline(head.body, decoder, () => undefined);
  return decoder;
}

function decoderFor(encoding: string): Transform | null {
  switch (encoding) {
    case "gzip":
    case "x-gzip":
      return zlib.createGunzip();
    case "deflate":
      return zlib.createInflate();
    case "br":
      return zlib.createBrotliDecompress();
    default:
      return null;
  }
}

function toNetworkError(error: unknown, url: URL): Error {
  if (error instanceof FetchNetworkError) return error;
  const code = (error as NodeJS.ErrnoException | null)?.code ?? null;
  const detail = error instanceof Error ? error.message : String(error);
  return new FetchNetworkError(`request to ${url.origin} failed: ${detail}`, code, { cause: error });
}
