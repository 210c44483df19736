/**
 * What a test run needs from the machine, brought up by the run itself so that
 * `npm ci && npm test` works on a machine with nothing but Node and npm:
 * Debian packages (redis-server, chromium, the PostgreSQL manual) installed
 * with apt-get when missing, and a shared Redis — the one named by REDIS_URL,
 * else one already answering on 127.0.0.1:6379, else a redis-server of the
 * run's own on a free port. Used by test/globalSetup.ts; kept apart from it so
 * test/unit/testMachine.test.ts can check the decisions.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { startRedisServer } from "./redisServer";

/** A Debian package a test needs, found by a file it installs. */
export interface DebianNeed {
  readonly pkg: string;
  /** A file or folder that exists once the package is installed. */
  readonly installs: string;
  /** Why the tests need it (for the message when it cannot be installed). */
  readonly for: string;
}

export const REDIS_SERVER: DebianNeed = { pkg: "redis-server", installs: "/usr/bin/redis-server", for: "the shared Redis and the outage tests' own servers" };
export const CHROMIUM: DebianNeed = { pkg: "chromium", installs: "/usr/bin/chromium", for: "the dashboard browser test" };
export const POSTGRESQL_MANUAL: DebianNeed = { pkg: "postgresql-doc-15", installs: "/usr/share/doc/postgresql-doc-15/html", for: "the search evaluation set's page checks" };

/** Which test files need which package beyond redis-server (which every run gets). */
const NEEDS_BY_FILE: readonly { readonly file: RegExp; readonly need: DebianNeed }[] = [
  { file: /(^|\/)test\/browser\//, need: CHROMIUM },
  { file: /(^|\/)test\/unit\/searchEvalSet\.test\.ts$/, need: POSTGRESQL_MANUAL },
];

/** The packages a run of `files` needs; an unknown file list (empty) means the whole suite. */
export function needsOf(files: readonly string[]): DebianNeed[] {
  const wanted = new Set<DebianNeed>([REDIS_SERVER]);
  for (const { file, need } of NEEDS_BY_FILE) {
    if (files.length === 0 || files.some((f) => file.test(f.replaceAll("\\", "/")))) wanted.add(need);
  }
  return [...wanted];
}

/** Runs apt-get; the one boundary of this module that changes the machine. */
export type Installer = (packages: readonly string[]) => void;

export const aptGetInstall: Installer = (packages) => {
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [["update", "-qq"], ["install", "-y", "-qq", "--no-install-recommends", ...packages]]) {
    const r = spawnSync("apt-get", args, { stdio: ["ignore", "ignore", "pipe"], env, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(" ")} failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr ?? "").trim().split("\n").pop() ?? ""}`);
  }
};

export interface EnsureOptions {
  readonly isRoot?: boolean;
  readonly install?: Installer;
  readonly exists?: (path: string) => boolean;
  readonly log?: (line: string) => void;
}

/**
 * Installs the missing ones with apt-get when running as root; otherwise
 * throws one line naming the command to run. Returns the packages installed.
 */
export function ensureDebianPackages(needs: readonly DebianNeed[], options: EnsureOptions = {}): string[] {
  const exists = options.exists ?? existsSync;
  const missing = needs.filter((n) => !exists(n.installs));
  if (missing.length === 0) return [];
  const packages = missing.map((n) => n.pkg);
  const command = `apt-get install -y ${packages.join(" ")}`;
  const isRoot = options.isRoot ?? process.getuid?.() === 0;
  if (!isRoot) {
    throw new Error(`tests need ${missing.map((n) => `${n.pkg} (${n.for})`).join(", ")}: run \`sudo ${command}\` and try again`);
  }
  (options.log ?? console.error)(`test setup: ${packages.join(", ")} missing; running ${command}`);
  (options.install ?? aptGetInstall)(packages);
  const stillMissing = missing.filter((n) => !exists(n.installs));
  if (stillMissing.length > 0) throw new Error(`\`${command}\` ran but ${stillMissing.map((n) => n.installs).join(", ")} is still missing`);
  return packages;
}

/** True when a Redis answers PING at host:port within `timeoutMs`. */
export function redisAnswers(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let reply = "";
    const done = (answer: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once("connect", () => socket.write("PING\r\n"));
    socket.on("data", (chunk: Buffer) => {
      reply += chunk.toString();
      if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
    });
    socket.once("error", () => done(false));
    socket.once("close", () => done(false));
  });
}

export interface SharedRedis {
  readonly url: string;
  /** Where it came from, for the run's log line. */
  readonly source: "REDIS_URL" | "probe" | "own";
  /** Stops the server when the run started it; nothing otherwise. */
  stop(): Promise<void>;
}

/** The machine's usual Redis, probed before starting one; TEST_REDIS_PROBE (host:port) moves the probe. */
export const DEFAULT_REDIS_PROBE = "127.0.0.1:6379";

export async function resolveSharedRedis(env: { readonly REDIS_URL?: string; readonly TEST_REDIS_PROBE?: string } = process.env): Promise<SharedRedis> {
  if (env.REDIS_URL) return { url: env.REDIS_URL, source: "REDIS_URL", stop: async () => {} };
  const probe = env.TEST_REDIS_PROBE || DEFAULT_REDIS_PROBE;
  const [host = "127.0.0.1", port = "6379"] = probe.split(":");
  if (await redisAnswers(host, Number(port))) return { url: `redis://${host}:${port}`, source: "probe", stop: async () => {} };
  const server = await startRedisServer();
  // If the run dies without its teardown, the server must not outlive it (kill() signals synchronously).
  const onExit = () => void server.kill();
  process.once("exit", onExit);
  return {
    url: server.url,
    source: "own",
    async stop() {
      process.off("exit", onExit);
      await server.dispose();
    },
  };
}
