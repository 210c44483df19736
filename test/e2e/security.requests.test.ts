/**
 * The local server against hostile requests (issue 15, findings 2 and 5),
 * over real sockets:
 *
 * - JSON bodies only as `application/json` (media-type essence), 415 otherwise;
 * - a foreign Origin or a rebound Host refused before anything runs;
 * - no key on a non-loopback HOST: the stack refuses to start and says how;
 * - the route and the key are decided from the headers: unauthenticated or
 *   misrouted uploads are answered without a byte of their body buffered
 *   (the server's own buffered-bytes gauge), and buffered bytes across all
 *   requests are capped (503 + Retry-After).
 */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, startTestStack, waitFor, type TestStack } from "../helpers/stack";

const KEY = "requests-test-admin-key";
/** Small enough that a handful of stalled uploads spend it. */
const BUDGET = 1024 * 1024;

let open: TestStack;
let keyed: TestStack;

beforeAll(async () => {
  [open, keyed] = await Promise.all([
    startTestStack({ env: { API_KEY: undefined } }),
    startTestStack({ env: { API_KEY: KEY, MAX_BUFFERED_BYTES: String(BUDGET) }, workers: false }),
  ]);
});

afterAll(async () => {
  await Promise.all([open?.dispose(), keyed?.dispose()]);
});

const doc = { content: "A document about request handling.", contentType: "text/plain" };

async function post(stack: TestStack, headers: Record<string, string>, body: string | Blob = JSON.stringify(doc)): Promise<{ status: number; text: string }> {
  const res = await fetch(`${stack.url}/resources`, { method: "POST", headers, body });
  return { status: res.status, text: await res.text() };
}

async function resourceCount(stack: TestStack): Promise<number> {
  return (await api<{ items: unknown[] }>(stack, "GET", "/resources?limit=100", undefined, { "x-api-key": KEY })).body.items.length;
}

/** Sends raw bytes, resolves with the status line and headers of the answer (or what ended the socket). */
function rawRequest(stack: TestStack, head: string, body = ""): Promise<{ socket: net.Socket; answer: Promise<string> }> {
  const { port } = new URL(stack.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port: Number(port) }, () => {
      socket.write(`${head}\r\n\r\n${body}`);
      const answer = new Promise<string>((done) => {
        let text = "";
        socket.on("data", (d: Buffer) => {
          text += d.toString("latin1");
          if (text.includes("\r\n\r\n")) done(text);
        });
        socket.on("close", () => done(text || "closed"));
        socket.on("error", () => done(text || "error"));
      });
      resolve({ socket, answer });
    });
    socket.once("error", reject);
  });
}

describe("cross-site requests", () => {
  it("takes JSON only as application/json (media-type essence); anything else is 415 and creates nothing", async () => {
    for (const type of ["text/plain; x=json", "text/plain", "application/json-patch+json", "application/x-www-form-urlencoded", "application/jsonx"]) {
      const res = await post(open, { "content-type": type });
      expect(res.status, type).toBe(415);
      expect(JSON.parse(res.text).error).toMatch(/application\/json/);
    }
    // No type at all (a Blob without one): what a browser sends cross-site with no preflight.
    expect((await post(open, {}, new Blob([JSON.stringify(doc)]))).status).toBe(415);
    expect(await resourceCount(open)).toBe(0);
    expect((await post(open, { "content-type": "Application/JSON ; charset=utf-8" })).status).toBe(202);
    expect(await resourceCount(open)).toBe(1);
  });

  it("refuses a state-changing request from a foreign Origin (403), or one a browser marks cross-site", async () => {
    const before = await resourceCount(open);
    for (const origin of ["http://evil.example", "null", `http://localhost:1`]) {
      const res = await post(open, { "content-type": "application/json", origin });
      expect(res.status, origin).toBe(403);
    }
    expect((await post(open, { "content-type": "application/json", "sec-fetch-site": "cross-site" })).status).toBe(403);
    expect(await resourceCount(open)).toBe(before);
    // The API's own origin (its page, the dashboard) and clients that send no Origin (curl, SDKs) are served.
    expect((await post(open, { "content-type": "application/json", origin: open.url })).status).toBe(202);
  });

  it("answers only for its own names: a rebound Host is refused before anything runs (421), reads included", async () => {
    const before = await resourceCount(open);
    const body = JSON.stringify(doc);
    for (const line of [`POST /resources HTTP/1.1\r\nHost: attacker.example\r\nContent-Type: application/json\r\nContent-Length: ${body.length}`, "GET /resources HTTP/1.1\r\nHost: rebind.attacker.example:3000"]) {
      const { socket, answer } = await rawRequest(open, line, line.startsWith("POST") ? body : "");
      expect(await answer).toMatch(/^HTTP\/1\.1 421 /);
      socket.destroy();
    }
    expect(await resourceCount(open)).toBe(before);
    const { socket, answer } = await rawRequest(open, "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close");
    expect(await answer).toMatch(/^HTTP\/1\.1 200 /);
    socket.destroy();
  });

  it("will not listen beyond loopback without an API key, and says how to set one", async () => {
    await expect(startTestStack({ env: { API_KEY: undefined, HOST: "0.0.0.0" }, workers: false })).rejects.toThrow(/API_KEY=.*x-api-key/s);
    await expect(startTestStack({ env: { API_KEY: undefined, HOST: "::" }, workers: false })).rejects.toThrow(/refusing to listen on HOST=::/);
  });
});

describe("request limits", () => {
  it("keeps the header and keep-alive timeouts, caps connections and request time", () => {
    const server = keyed.httpServer!;
    expect(server.keepAliveTimeout).toBe(65_000);
    expect(server.headersTimeout).toBe(66_000);
    expect(server.requestTimeout).toBeGreaterThan(0);
    expect(server.requestTimeout).toBeLessThanOrEqual(120_000);
    expect(server.maxConnections).toBeGreaterThan(0);
  });

  it("answers stalled unauthenticated uploads from their headers and buffers none of their bytes", async () => {
    const server = keyed.httpServer!;
    const chunk = "x".repeat(256 * 1024);
    const uploads = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        rawRequest(
          keyed,
          // Half with no key, half to a route that does not exist; all promise 10 MB and send 256 KB, then stall.
          i % 2 === 0
            ? "POST /resources HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 10000000"
            : `POST /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: ${KEY}\r\nContent-Type: application/json\r\nContent-Length: 10000000`,
          chunk,
        ),
      ),
    );
    const answers = await Promise.all(uploads.map((u) => u.answer));
    expect(answers.filter((a) => /^HTTP\/1\.1 401 /.test(a)).length).toBe(20);
    expect(answers.filter((a) => /^HTTP\/1\.1 404 /.test(a)).length).toBe(20);
    expect(server.bufferedBytes()).toBe(0);
    for (const u of uploads) u.socket.destroy();
  });

  it("caps the bytes buffered across requests: past the budget a stalled authenticated upload gets 503 + Retry-After", async () => {
    const server = keyed.httpServer!;
    const chunk = "x".repeat(200 * 1024);
    const uploads: Array<{ socket: net.Socket; answer: Promise<string> }> = [];
    for (let i = 0; i < 8; i++) {
      uploads.push(await rawRequest(keyed, `POST /resources HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: ${KEY}\r\nContent-Type: application/json\r\nContent-Length: 5000000`, chunk));
      await waitFor(async () => server.bufferedBytes() >= Math.min(BUDGET - chunk.length, (i + 1) * chunk.length) || (await Promise.race([uploads[i]!.answer, new Promise((r) => setTimeout(() => r(false), 20))])), 5_000, 20);
    }
    expect(server.bufferedBytes()).toBeGreaterThan(0);
    expect(server.bufferedBytes()).toBeLessThanOrEqual(BUDGET);
    const refused = await Promise.all(uploads.slice(5).map((u) => u.answer));
    for (const a of refused) {
      expect(a).toMatch(/^HTTP\/1\.1 503 /);
      expect(a.toLowerCase()).toContain("retry-after: 5");
    }
    // Clients that go away free what they held.
    for (const u of uploads) u.socket.destroy();
    await waitFor(async () => server.bufferedBytes() === 0, 5_000, 20);
    // And the server still takes a normal request.
    expect((await post(keyed, { "content-type": "application/json", "x-api-key": KEY })).status).toBe(202);
  });
});
