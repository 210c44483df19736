/**
 * Which TCP ports a set of processes listens on (Linux /proc), and this
 * machine's own non-loopback addresses: what a test needs to prove that a
 * stack is reachable from nowhere but loopback.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import os from "node:os";

/** Socket inodes of every TCP socket in the LISTEN state, with their local port. */
function listeningInodes(): Map<string, number> {
  const out = new Map<string, number>();
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const cols = line.trim().split(/\s+/);
      // cols[3] is the state: 0A = LISTEN.
      if (cols[3] !== "0A" || !cols[1] || !cols[9]) continue;
      out.set(cols[9], Number.parseInt(cols[1].split(":").pop() ?? "", 16));
    }
  }
  return out;
}

/** Every port one of `pids` listens on (sorted, unique). */
export function listeningPorts(pids: readonly number[]): number[] {
  const inodes = listeningInodes();
  const ports = new Set<number>();
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const inode = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        const port = inode ? inodes.get(inode) : undefined;
        if (port !== undefined) ports.add(port);
      } catch {
        // fd closed meanwhile
      }
    }
  }
  return [...ports].sort((a, b) => a - b);
}

/** This machine's addresses other than loopback (link-local IPv6 left out: it needs a scope). */
export function nonLoopbackAddresses(): string[] {
  return Object.values(os.networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((a) => !a.internal && !(a.family === "IPv6" && a.address.toLowerCase().startsWith("fe80")))
    .map((a) => a.address);
}
