/**
 * `DATA_DIR/server.json`: where the running stack listens, written when its
 * API starts and removed when it stops, so the CLI finds a server started on
 * another port (README, "Command line"). A file left by a process that died
 * is recognised by its pid and ignored.
 */
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

export const SERVER_FILE = "server.json";

export interface ServerFile {
  url: string;
  pid: number;
  startedAt: string;
}

export function writeServerFile(dataDir: string, url: string): void {
  const file: ServerFile = { url, pid: process.pid, startedAt: new Date().toISOString() };
  writeFileSync(path.join(dataDir, SERVER_FILE), `${JSON.stringify(file)}\n`);
}

/** Removes the file if this process wrote it (another stack may have started on the same data since). */
export function removeServerFile(dataDir: string): void {
  const current = readServerFile(dataDir, { aliveOnly: false });
  if (current?.pid === process.pid) rmSync(path.join(dataDir, SERVER_FILE), { force: true });
}

export function readServerFile(dataDir: string, options: { aliveOnly: boolean } = { aliveOnly: true }): ServerFile | null {
  try {
    const parsed = JSON.parse(readFileSync(path.join(dataDir, SERVER_FILE), "utf8")) as Partial<ServerFile>;
    if (typeof parsed.url !== "string" || typeof parsed.pid !== "number" || !/^https?:\/\//.test(parsed.url)) return null;
    if (options.aliveOnly && !isAlive(parsed.pid)) return null;
    return parsed as ServerFile;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}
