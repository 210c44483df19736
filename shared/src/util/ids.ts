import { randomUUID, createHash } from "node:crypto";

/** Time-ordered id (UUIDv7 layout): sorts by creation, good for cursors. */
export function newId(now = Date.now()): string {
  const hex = now.toString(16).padStart(12, "0").slice(-12);
  const rand = randomUUID().replace(/-/g, "");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${rand.slice(13, 16)}-${((parseInt(rand[16] ?? "0", 16) & 0x3) | 0x8).toString(16)}${rand.slice(17, 20)}-${rand.slice(20, 32)}`;
}

export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}
