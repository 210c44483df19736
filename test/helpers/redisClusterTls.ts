/**
 * A redis-server shaped like ElastiCache Serverless: cluster mode (one node
 * owning all 16384 slots) and TLS only, with a certificate from a throwaway
 * CA made with openssl. Clients trust it through NODE_EXTRA_CA_CERTS = `caFile`
 * (Lambda children) or `ca` (in-process clients). Cross-slot commands fail
 * here exactly as they would on AWS.
 */
import type { ChildProcess } from "node:child_process";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import { freePort, launch } from "./redisServer";

export interface RedisClusterTls {
  readonly host: string;
  readonly port: number;
  /** `rediss://127.0.0.1:<port>` */
  readonly url: string;
  /** PEM file of the CA that signed the server certificate. */
  readonly caFile: string;
  readonly ca: Buffer;
  dispose(): Promise<void>;
}

export async function startRedisClusterTls(): Promise<RedisClusterTls> {
  const dir = mkdtempSync(path.join(tmpdir(), "na-redis-tls-"));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=neo-alexandria test CA", "-keyout", file("ca.key"), "-out", file("ca.crt"));
  openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", file("server.key"), "-out", file("server.csr"));
  writeFileSync(file("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  openssl("x509", "-req", "-in", file("server.csr"), "-CA", file("ca.crt"), "-CAkey", file("ca.key"), "-CAcreateserial", "-days", "1", "-extfile", file("san.ext"), "-out", file("server.crt"));

  const port = await freePort();
  // Explicit: the default bus port (data port + 10000) is out of range for ephemeral ports above 55535.
  const busPort = await freePort();
  const child: ChildProcess = await launch([
    "--port", "0",
    "--tls-port", String(port),
    "--bind", "127.0.0.1",
    "--tls-cert-file", file("server.crt"),
    "--tls-key-file", file("server.key"),
    "--tls-ca-cert-file", file("ca.crt"),
    "--tls-auth-clients", "no",
    "--tls-cluster", "yes",
    "--cluster-enabled", "yes",
    // A lone node does not know its own address and would report "" in CLUSTER SLOTS.
    "--cluster-announce-ip", "127.0.0.1",
    "--cluster-config-file", file("nodes.conf"),
    "--cluster-port", String(busPort),
    "--dir", dir,
    "--save", "",
    "--appendonly", "no",
    "--protected-mode", "no",
  ]);

  const ca = readFileSync(file("ca.crt"));
  const admin = new Redis({ host: "127.0.0.1", port, tls: { ca }, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await admin.connect();
    await admin.call("CLUSTER", "ADDSLOTSRANGE", "0", "16383");
    const deadline = Date.now() + 10_000;
    while (!String(await admin.call("CLUSTER", "INFO")).includes("cluster_state:ok")) {
      if (Date.now() > deadline) throw new Error("the test cluster did not reach cluster_state:ok");
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    admin.disconnect();
  }

  return {
    host: "127.0.0.1",
    port,
    url: `rediss://127.0.0.1:${port}`,
    caFile: file("ca.crt"),
    ca,
    async dispose() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        child.kill("SIGKILL");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
