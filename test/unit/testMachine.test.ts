/**
 * The test run brings up what it needs (test/globalSetup.ts through
 * test/helpers/testMachine.ts): which Debian packages a run of given files
 * needs, apt-get only when missing and root (a one-line message naming the
 * command otherwise), and the shared Redis — REDIS_URL, else whatever answers
 * the probe, else a redis-server of the run's own that stops afterwards.
 * apt-get itself is replaced by a recording stand-in here (installing
 * packages would change the machine other tests run on).
 */
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { CHROMIUM, ensureDebianPackages, needsOf, POSTGRESQL_MANUAL, REDIS_SERVER, redisAnswers, resolveSharedRedis } from "../helpers/testMachine";
import { freePort, startRedisServer } from "../helpers/redisServer";

describe("Debian packages a run needs", () => {
  it("every run needs redis-server; the browser test adds chromium; the eval-set test the PostgreSQL manual", () => {
    expect(needsOf(["/r/test/unit/ftsQuery.test.ts"])).toEqual([REDIS_SERVER]);
    expect(needsOf(["/r/test/unit/ftsQuery.test.ts", "/r/test/browser/dashboard.test.ts"])).toEqual([REDIS_SERVER, CHROMIUM]);
    expect(needsOf(["/r/test/unit/searchEvalSet.test.ts"])).toEqual([REDIS_SERVER, POSTGRESQL_MANUAL]);
    // Files unknown: the whole suite.
    expect(needsOf([])).toEqual([REDIS_SERVER, CHROMIUM, POSTGRESQL_MANUAL]);
  });

  it("installs nothing when everything is there", () => {
    const installed: string[][] = [];
    const result = ensureDebianPackages([REDIS_SERVER, CHROMIUM], { isRoot: true, exists: () => true, install: (p) => installed.push([...p]) });
    expect(result).toEqual([]);
    expect(installed).toEqual([]);
  });

  it("as root, installs exactly the missing packages with one apt-get call", () => {
    const present = new Set([REDIS_SERVER.installs]);
    const installed: string[][] = [];
    const log: string[] = [];
    const result = ensureDebianPackages([REDIS_SERVER, CHROMIUM, POSTGRESQL_MANUAL], {
      isRoot: true,
      exists: (p) => present.has(p),
      install: (pkgs) => {
        installed.push([...pkgs]);
        present.add(CHROMIUM.installs).add(POSTGRESQL_MANUAL.installs);
      },
      log: (line) => log.push(line),
    });
    expect(result).toEqual(["chromium", "postgresql-doc-15"]);
    expect(installed).toEqual([["chromium", "postgresql-doc-15"]]);
    expect(log).toEqual(["test setup: chromium, postgresql-doc-15 missing; running apt-get install -y chromium postgresql-doc-15"]);
  });

  it("not as root, fails with one line naming the command", () => {
    const installed: string[][] = [];
    let message = "";
    try {
      ensureDebianPackages([REDIS_SERVER, CHROMIUM], { isRoot: false, exists: () => false, install: (p) => installed.push([...p]) });
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain("`sudo apt-get install -y redis-server chromium`");
    expect(message).not.toContain("\n");
    expect(installed).toEqual([]);
  });

  it("fails when apt-get ran but the package is still missing", () => {
    expect(() => ensureDebianPackages([CHROMIUM], { isRoot: true, exists: () => false, install: () => {}, log: () => {} })).toThrow(/still missing/);
  });
});

describe("the shared Redis", () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });

  it("is REDIS_URL when set, without probing or starting anything", async () => {
    const redis = await resolveSharedRedis({ REDIS_URL: "redis://example.invalid:1", TEST_REDIS_PROBE: "127.0.0.1:1" });
    expect(redis).toMatchObject({ url: "redis://example.invalid:1", source: "REDIS_URL" });
  });

  it("is the Redis answering the probe when there is one", async () => {
    const server = await startRedisServer();
    cleanups.push(() => server.dispose());
    const redis = await resolveSharedRedis({ TEST_REDIS_PROBE: `127.0.0.1:${server.port}` });
    expect(redis).toMatchObject({ url: server.url, source: "probe" });
    await redis.stop();
    expect(await redisAnswers("127.0.0.1", server.port)).toBe(true);
  });

  it("is a redis-server of its own when nothing answers the probe (a closed port, or a TCP server that is not Redis), stopped by stop()", async () => {
    const accepted: Socket[] = [];
    const notRedis: Server = createServer((socket) => {
      accepted.push(socket);
      socket.end("HTTP/1.1 400 Bad Request\r\n\r\n");
    });
    await new Promise<void>((resolve) => notRedis.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => {
      for (const socket of accepted) socket.destroy();
      return new Promise((resolve) => notRedis.close(() => resolve()));
    });
    const notRedisPort = (notRedis.address() as { port: number }).port;
    expect(await redisAnswers("127.0.0.1", notRedisPort)).toBe(false);

    for (const probe of [`127.0.0.1:${await freePort()}`, `127.0.0.1:${notRedisPort}`]) {
      const redis = await resolveSharedRedis({ TEST_REDIS_PROBE: probe });
      expect(redis.source).toBe("own");
      const port = Number(new URL(redis.url).port);
      expect(await redisAnswers("127.0.0.1", port)).toBe(true);
      const client = new Redis(redis.url, { maxRetriesPerRequest: 0 });
      await client.set("testMachine:k", "v");
      expect(await client.get("testMachine:k")).toBe("v");
      client.disconnect();
      await redis.stop();
      expect(await redisAnswers("127.0.0.1", port)).toBe(false);
    }
  });
});
