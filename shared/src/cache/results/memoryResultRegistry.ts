/**
 * The result registry of a process without Redis (L1-only cache): the same
 * records in a Map, for the same single process the L1 cache serves.
 */
import { randomBytes } from "node:crypto";
import type { Affected, ResourceChange, ResultRegistry, ResultDependency } from "../../ports/resultRegistry";
import { MAX_RECORDS, affects, isExpired, parseRecord, pendingPrefix, pendingRecord, recordedRecord } from "./records";

export class MemoryResultRegistry implements ResultRegistry {
  private readonly records = new Map<string, string>();

  constructor(private readonly lifetimeMs: number) {}

  async reserve(key: string): Promise<string> {
    const token = randomBytes(9).toString("base64url");
    this.records.set(key, pendingRecord(token, Date.now()));
    return token;
  }

  async record(key: string, token: string, dependency: ResultDependency): Promise<void> {
    if (!this.records.get(key)?.startsWith(pendingPrefix(token)) || this.records.size > MAX_RECORDS) return;
    this.records.set(key, recordedRecord(token, Date.now(), dependency));
  }

  async affectedBy(change: ResourceChange): Promise<Affected[]> {
    const now = Date.now();
    const affected: Affected[] = [];
    for (const [key, raw] of this.records) {
      const record = parseRecord(raw);
      const verdict = affects(record, change);
      if (verdict === true) affected.push({ key });
      else if (verdict !== false) affected.push({ key, unlessShownAs: verdict });
      if (isExpired(record, now, this.lifetimeMs)) this.records.delete(key);
    }
    return affected;
  }
}
