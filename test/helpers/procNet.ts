/**
 * Who holds which TCP socket (Linux /proc): the ports a set of processes
 * listens on, the process that owns a connection, and this machine's own
 * non-loopback addresses. Tests use them to prove that a stack is reachable
 * from loopback only and to find the worker holding a request.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import net from "node:net";
import os from "node:os";

interface TcpSocket {
  inode: string;
  localPort: number;
  listening: boolean;
}

/** Every TCP socket of the machine (IPv4 and IPv6 tables). */
function tcpSockets(): TcpSocket[] {
  const out: TcpSocket[] = [];
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      const [local, state, inode] = [cols[1], cols[3], cols[9]];
      if (!local || !inode || inode === "0") continue;
      // state 0A = LISTEN
      out.push({ inode, localPort: Number.parseInt(local.split(":").pop() ?? "", 16), listening: state === "0A" });
    }
  }
  return out;
}

/** The socket inodes among the open file descriptors of `pid` (none if it is gone). */
function socketInodesOf(pid: number): string[] {
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  return fds.flatMap((fd) => {
    try {
      return /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1] ?? [];
    } catch {
      return []; // fd closed meanwhile
    }
  });
}

/** Every port one of `pids` listens on (sorted, unique). */
export function listeningPorts(pids: readonly number[]): number[] {
  const portOf = new Map(tcpSockets().filter((s) => s.listening).map((s) => [s.inode, s.localPort]));
  const ports = new Set(pids.flatMap((pid) => socketInodesOf(pid).flatMap((inode) => portOf.get(inode) ?? [])));
  return [...ports].sort((a, b) => a - b);
}

/** Which of `pids` owns the TCP socket whose local port is `localPort`: the worker holding a request to its own server. */
export function pidOwningLocalPort(localPort: number, pids: readonly number[]): number | undefined {
  const inodes = new Set(tcpSockets().filter((s) => s.localPort === localPort).map((s) => s.inode));
  return pids.find((pid) => socketInodesOf(pid).some((inode) => inodes.has(inode)));
}

/** This machine's addresses other than loopback (link-local IPv6 left out: it needs a scope). */
export function nonLoopbackAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((a) => !a.internal && !(a.family === "IPv6" && a.address.toLowerCase().startsWith("fe80")))
    .map((a) => a.address);
}

/** Tries a TCP connection: "connected", "timeout" (3 s), or the error code (ECONNREFUSED, EADDRNOTAVAIL, ...). */
export function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 3_000 });
    socket.once("connect", () => {
      socket.destroy();
      resolve("connected");
    });
    socket.once("timeout", () => {
      socket.destroy();
      resolve("timeout");
    });
    socket.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}
