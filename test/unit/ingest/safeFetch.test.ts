/**
 * safeFetch against real sockets: a local server on 127.0.0.1 stands in for
 * both the attacker's target (which must never be reached) and, through the
 * `privateNetworkHosts` exemption for the name "public.test", for a public
 * web server (so redirects from it can be shown to be re-checked).
 */
import { mkdtemp, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PermanentError, TransientError } from "@shared/errors";
import {
  ContentTooLargeError,
  FetchNetworkError,
  FetchRefusedError,
  FetchTimeoutError,
  HttpStatusPermanentError,
  HttpStatusTransientError,
  RedirectError,
  SourceNotFoundError,
} from "@shared/ingest/errors";
import type { FetchPolicy } from "@shared/ingest/fetchPolicy";
import { retryAfterSeconds, safeFetch } from "@shared/ingest/safeFetch";
import { startLocalServer, type LocalServer } from "../../helpers/localServer";

const PAGE = "<!doctype html><title>ok</title><p>Hello from the local server.</p>";

/** Names the stub resolver knows; anything else fails like NXDOMAIN. */
const DNS: Record<string, string[]> = {
  "public.test": ["127.0.0.1"],
  localhost: ["127.0.0.1", "::1"],
  "internal.test": ["127.0.0.1"],
  "intranet.example": ["10.1.2.3"],
  "mixed.example": ["93.184.216.34", "192.168.0.10"],
  "metadata.example": ["169.254.169.254"],
  "v6-ula.example": ["fd00::1"],
};

const lookupCalls: string[] = [];
async function stubLookup(hostname: string): Promise<string[]> {
  lookupCalls.push(hostname);
  const answer = DNS[hostname];
  if (!answer) throw Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: "ENOTFOUND" });
  return answer;
}

const strict: FetchPolicy = { allowPrivateNetworks: false, allowedFileRoots: [], lookup: stubLookup, timeoutMs: 3000 };
/** Treats "public.test" (which the stub maps to 127.0.0.1) as if it were a public site. */
const publicTestExempt: FetchPolicy = { ...strict, privateNetworkHosts: ["public.test"] };

let server: LocalServer;

beforeAll(async () => {
  server = await startLocalServer((request, response, self) => {
    const url = request.url ?? "/";
    const redirect = (location: string): void => {
      response.writeHead(302, { location });
      response.end();
    };
    switch (url) {
      case "/ok":
      case "/secret":
        response.writeHead(200, { "content-type": "text/html; charset=ISO-8859-1" });
        response.end(PAGE);
        return;
      case "/to-loopback-literal":
        return redirect(self.url("/secret"));
      case "/to-localhost":
        return redirect(`http://localhost:${self.port}/secret`);
      case "/to-private-name":
        return redirect(`http://internal.test:${self.port}/secret`);
      case "/to-metadata":
        return redirect("http://169.254.169.254/latest/meta-data/");
      case "/to-file":
        return redirect("file:///etc/passwd");
      case "/to-public":
        return redirect(`http://public.test:${self.port}/ok`);
      case "/relative-hop":
        return redirect("/ok");
      case "/loop":
        return redirect("/loop");
      case "/status/500":
      case "/status/404":
      case "/status/410":
      case "/status/429": {
        response.writeHead(Number(url.split("/").pop()), { "content-type": "text/plain" });
        response.end("status body");
        return;
      }
      case "/status/503-retry-after":
        response.writeHead(503, { "retry-after": "120" });
        response.end();
        return;
      case "/declared-too-large":
        response.writeHead(200, { "content-type": "text/plain", "content-length": "5000" });
        response.end("x".repeat(5000));
        return;
      case "/endless": {
        // Chunked, no Content-Length: only the running byte count can stop it.
        response.writeHead(200, { "content-type": "text/plain" });
        const chunk = "y".repeat(64 * 1024);
        const pump = (): void => {
          while (!response.destroyed && response.write(chunk)) {
            /* fill the socket buffer */
          }
          if (!response.destroyed) response.once("drain", pump);
        };
        pump();
        return;
      }
      case "/gzip":
        response.writeHead(200, { "content-type": "text/plain", "content-encoding": "gzip" });
        response.end(gzipSync("compressed hello"));
        return;
      case "/gzip-bomb": {
        const bomb = gzipSync(Buffer.alloc(2 * 1024 * 1024)); // 2 MB of zeros, about 2 KB on the wire
        response.writeHead(200, { "content-type": "text/plain", "content-encoding": "gzip", "content-length": String(bomb.length) });
        response.end(bomb);
        return;
      }
      case "/stall-headers":
        return; // never answers
      case "/stall-body":
        response.writeHead(200, { "content-type": "text/plain", "content-length": "1000" });
        response.write("only the beginning");
        return; // ... and never the rest
      default:
        response.writeHead(404);
        response.end();
    }
  });
});

afterAll(async () => {
  await server.close();
});

async function refusal(url: string, policy: FetchPolicy = strict): Promise<FetchRefusedError> {
  const error: unknown = await safeFetch(url, policy).then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(FetchRefusedError);
  expect(error).toBeInstanceOf(PermanentError);
  return error as FetchRefusedError;
}

function requestsTo(path: string): number {
  return server.requests.filter((request) => request.path === path).length;
}

describe("safeFetch: the local server is reachable when policy allows it (control)", () => {
  it("fetches from 127.0.0.1 with allowPrivateNetworks", async () => {
    const doc = await safeFetch(server.url("/ok"), { ...strict, allowPrivateNetworks: true });
    expect(new TextDecoder().decode(doc.bytes)).toBe(PAGE);
    expect(doc.contentType).toBe("text/html");
    expect(doc.charset).toBe("ISO-8859-1");
    expect(doc.finalUrl).toBe(server.url("/ok"));
  });

  it("connects to the vetted address, resolving the name once, with the name in the Host header", async () => {
    lookupCalls.length = 0;
    const doc = await safeFetch(`http://public.test:${server.port}/ok`, publicTestExempt);
    expect(new TextDecoder().decode(doc.bytes)).toBe(PAGE);
    // The system resolver has never heard of public.test: reaching the
    // server proves the socket used the address our stub returned.
    expect(lookupCalls).toEqual(["public.test"]);
    expect(server.requests.at(-1)?.host).toBe(`public.test:${server.port}`);
  });
});

describe("safeFetch refuses non-public addresses", () => {
  it.each([
    ["loopback literal", () => server.url("/secret")],
    ["localhost via DNS", () => `http://localhost:${server.port}/secret`],
    ["decimal IPv4 (2130706433 = 127.0.0.1)", () => `http://2130706433:${server.port}/secret`],
    ["hex IPv4 (0x7f.0.0.1)", () => `http://0x7f.0.0.1:${server.port}/secret`],
    ["short hex IPv4 (0x7f.1)", () => `http://0x7f.1:${server.port}/secret`],
    ["octal IPv4 (0177.0.0.1)", () => `http://0177.0.0.1:${server.port}/secret`],
    ["IPv4-mapped IPv6 ([::ffff:127.0.0.1])", () => `http://[::ffff:127.0.0.1]:${server.port}/secret`],
  ])("%s, which the live server would otherwise answer", async (_name, url) => {
    const before = requestsTo("/secret");
    const error = await refusal(url());
    expect(error.reason).toBe("private-address");
    expect(requestsTo("/secret")).toBe(before);
  });

  it.each([
    "http://[::1]/",
    "http://[0:0:0:0:0:0:0:1]/",
    "http://169.254.169.254/latest/meta-data",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/", // carrier-grade NAT
    "http://0.0.0.0/",
    "http://0/",
    "http://[fd00::1]/", // unique local
    "http://[fe80::1]/", // link-local
    "http://[::ffff:a9fe:a9fe]/", // mapped 169.254.169.254
    "http://[64:ff9b::a00:1]/", // NAT64 of 10.0.0.1
    "http://224.0.0.1/", // multicast
    "http://255.255.255.255/",
  ])("%s", async (url) => {
    const error = await refusal(url);
    expect(error.reason).toBe("private-address");
  });

  it.each([
    ["intranet.example", "10.1.2.3"],
    ["metadata.example", "169.254.169.254"],
    ["v6-ula.example", "fd00::1"],
    ["mixed.example", "192.168.0.10"], // one public and one private answer
  ])("a hostname (%s) whose lookup returns a private address (%s)", async (host, address) => {
    const error = await refusal(`http://${host}/`);
    expect(error.message).toContain(address);
  });

  it("does not extend an exempt name's trust to other names or literals", async () => {
    const error = await refusal(`http://internal.test:${server.port}/secret`, publicTestExempt);
    expect(error.reason).toBe("private-address");
  });
});

describe("safeFetch re-checks every redirect", () => {
  it("follows a redirect to another allowed URL (control)", async () => {
    const doc = await safeFetch(`http://public.test:${server.port}/to-public`, publicTestExempt);
    expect(doc.finalUrl).toBe(`http://public.test:${server.port}/ok`);
    const relative = await safeFetch(`http://public.test:${server.port}/relative-hop`, publicTestExempt);
    expect(relative.finalUrl).toBe(`http://public.test:${server.port}/ok`);
  });

  it.each([
    ["/to-loopback-literal", "private-address"],
    ["/to-localhost", "private-address"],
    ["/to-private-name", "private-address"],
    ["/to-metadata", "private-address"],
    ["/to-file", "unsupported-scheme"],
  ])("refuses %s and never requests the target", async (path, reason) => {
    const before = requestsTo("/secret");
    const error = await refusal(`http://public.test:${server.port}${path}`, { ...publicTestExempt, allowedFileRoots: ["/"] });
    expect(error.reason).toBe(reason);
    expect(requestsTo("/secret")).toBe(before);
  });

  it("stops after maxRedirects", async () => {
    const before = requestsTo("/loop");
    await expect(safeFetch(`http://public.test:${server.port}/loop`, { ...publicTestExempt, maxRedirects: 3 })).rejects.toBeInstanceOf(
      RedirectError,
    );
    expect(requestsTo("/loop") - before).toBe(4); // the first request and three redirects
  });
});

describe("safeFetch refuses other schemes and malformed URLs", () => {
  it.each(["ftp://example.org/file.txt", "javascript:alert(1)", "data:text/plain,hello", "gopher://example.org/", "mailto:a@b.c"])(
    "%s",
    async (url) => {
      expect((await refusal(url)).reason).toBe("unsupported-scheme");
    },
  );

  it("refuses text that is not an absolute URL", async () => {
    expect((await refusal("not a url")).reason).toBe("invalid-url");
    expect((await refusal("/relative/path")).reason).toBe("invalid-url");
  });

  it("refuses URLs carrying credentials", async () => {
    expect((await refusal(`http://user:secret@public.test:${server.port}/ok`, publicTestExempt)).reason).toBe("credentials-in-url");
  });
});

describe("safeFetch limits size and time", () => {
  it("refuses a declared Content-Length over maxBytes", async () => {
    const error = await safeFetch(`http://public.test:${server.port}/declared-too-large`, { ...publicTestExempt, maxBytes: 1000 }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ContentTooLargeError);
    expect(error).toBeInstanceOf(PermanentError);
  });

  it("cuts off an endless streamed body once it passes maxBytes", async () => {
    const started = Date.now();
    await expect(safeFetch(`http://public.test:${server.port}/endless`, { ...publicTestExempt, maxBytes: 300_000 })).rejects.toBeInstanceOf(
      ContentTooLargeError,
    );
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it("decompresses gzip and counts decompressed bytes (a compression bomb is refused)", async () => {
    const doc = await safeFetch(`http://public.test:${server.port}/gzip`, publicTestExempt);
    expect(new TextDecoder().decode(doc.bytes)).toBe("compressed hello");
    await expect(safeFetch(`http://public.test:${server.port}/gzip-bomb`, { ...publicTestExempt, maxBytes: 1024 * 1024 })).rejects.toBeInstanceOf(
      ContentTooLargeError,
    );
  });

  it("times out a server that never sends headers", async () => {
    const started = Date.now();
    const error = await safeFetch(`http://public.test:${server.port}/stall-headers`, { ...publicTestExempt, timeoutMs: 300 }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(FetchTimeoutError);
    expect(error).toBeInstanceOf(TransientError);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("times out a body that stalls halfway", async () => {
    await expect(safeFetch(`http://public.test:${server.port}/stall-body`, { ...publicTestExempt, timeoutMs: 300 })).rejects.toBeInstanceOf(
      FetchTimeoutError,
    );
  });
});

describe("safeFetch classifies HTTP and network failures", () => {
  it.each([
    ["/status/500", HttpStatusTransientError, TransientError],
    ["/status/429", HttpStatusTransientError, TransientError],
    ["/status/404", HttpStatusPermanentError, PermanentError],
    ["/status/410", HttpStatusPermanentError, PermanentError],
  ])("%s", async (path, specific, general) => {
    const error = await safeFetch(`http://public.test:${server.port}${path}`, publicTestExempt).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(specific);
    expect(error).toBeInstanceOf(general);
    expect((error as HttpStatusTransientError | HttpStatusPermanentError).status).toBe(Number(path.split("/")[2]));
  });

  it("passes on a Retry-After hint", async () => {
    const error = await safeFetch(`http://public.test:${server.port}/status/503-retry-after`, publicTestExempt).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(HttpStatusTransientError);
    expect((error as HttpStatusTransientError).retryAfterSeconds).toBe(120);
    expect(retryAfterSeconds("Wed, 21 Oct 2015 07:28:30 GMT", new Date("2015-10-21T07:28:00Z"))).toBe(30);
    expect(retryAfterSeconds("soon")).toBeNull();
  });

  it("reports a refused connection as a transient network error", async () => {
    const closed = await startLocalServer(() => undefined);
    const port = closed.port;
    await closed.close();
    const error = await safeFetch(`http://public.test:${port}/`, publicTestExempt).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FetchNetworkError);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as FetchNetworkError).code).toBe("ECONNREFUSED");
  });

  it("reports an unknown host as a transient network error", async () => {
    await expect(safeFetch("http://no-such-host.test/", strict)).rejects.toBeInstanceOf(FetchNetworkError);
  });
});

describe("safeFetch and file:// URLs", () => {
  let root: string;
  let outside: string;

  beforeAll(async () => {
    const base = await mkdtemp(path.join(tmpdir(), "safefetch-"));
    root = path.join(base, "allowed");
    outside = path.join(base, "outside");
    await mkdir(path.join(root, "sub"), { recursive: true });
    await mkdir(outside, { recursive: true });
    await writeFile(path.join(root, "note.md"), "# Note\n\nInside the root.\n");
    await writeFile(path.join(root, "big.txt"), "z".repeat(5000));
    await writeFile(path.join(outside, "secret.txt"), "outside the root");
    await symlink(path.join(outside, "secret.txt"), path.join(root, "escape.txt"));
    await symlink(outside, path.join(root, "escape-dir"));
    await symlink(path.join(root, "note.md"), path.join(root, "sub", "alias.md"));
  });

  afterAll(async () => {
    await rm(path.dirname(root), { recursive: true, force: true });
  });

  const filePolicy = (): FetchPolicy => ({ ...strict, allowedFileRoots: [root] });

  it("reads a file inside an allowed root", async () => {
    const doc = await safeFetch(pathToFileURL(path.join(root, "note.md")).href, filePolicy());
    expect(new TextDecoder().decode(doc.bytes)).toContain("Inside the root.");
    expect(doc.contentType).toBe("text/markdown");
  });

  it("follows a symlink that stays inside the root", async () => {
    const doc = await safeFetch(pathToFileURL(path.join(root, "sub", "alias.md")).href, filePolicy());
    expect(doc.finalUrl).toBe(pathToFileURL(path.join(root, "note.md")).href);
  });

  it("refuses file:// entirely when no root is configured", async () => {
    expect((await refusal(pathToFileURL(path.join(root, "note.md")).href, strict)).reason).toBe("file-access-disabled");
  });

  it("refuses a file outside the allowed roots", async () => {
    expect((await refusal(pathToFileURL(path.join(outside, "secret.txt")).href, filePolicy())).reason).toBe("file-outside-allowed-roots");
    expect((await refusal("file:///etc/passwd", filePolicy())).reason).toBe("file-outside-allowed-roots");
  });

  it("refuses ../ traversal out of the root", async () => {
    const url = `${pathToFileURL(root).href}/../outside/secret.txt`;
    expect((await refusal(url, filePolicy())).reason).toBe("file-outside-allowed-roots");
  });

  it("refuses a symlink (file or folder) inside the root that points outside it", async () => {
    expect((await refusal(pathToFileURL(path.join(root, "escape.txt")).href, filePolicy())).reason).toBe("file-outside-allowed-roots");
    expect((await refusal(pathToFileURL(path.join(root, "escape-dir", "secret.txt")).href, filePolicy())).reason).toBe(
      "file-outside-allowed-roots",
    );
  });

  it("ignores relative roots rather than resolving them against the working directory", async () => {
    const relativeRoot = path.relative(process.cwd(), root);
    expect((await refusal(pathToFileURL(path.join(root, "note.md")).href, { ...strict, allowedFileRoots: [relativeRoot] })).reason).toBe(
      "file-outside-allowed-roots",
    );
  });

  it("refuses directories, and reports missing files as permanent", async () => {
    expect((await refusal(pathToFileURL(path.join(root, "sub")).href, filePolicy())).reason).toBe("not-a-regular-file");
    const error = await safeFetch(pathToFileURL(path.join(root, "missing.txt")).href, filePolicy()).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SourceNotFoundError);
    expect(error).toBeInstanceOf(PermanentError);
  });

  it("limits file size", async () => {
    await expect(safeFetch(pathToFileURL(path.join(root, "big.txt")).href, { ...filePolicy(), maxBytes: 1000 })).rejects.toBeInstanceOf(
      ContentTooLargeError,
    );
  });
});
