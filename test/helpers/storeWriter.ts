/**
 * A child process for the concurrent-writers test: opens the store file given
 * in STORE_FILE through the project's Store and runs WRITES write
 * transactions, each reading the table then inserting ROWS rows (so it holds
 * the write lock for a few milliseconds). Prints one JSON line: how many
 * transactions committed, the errors that escaped, and the busy retries.
 */
import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "drizzle-orm";
import { Store } from "@shared/adapters/libsql/store";

const file = process.env.STORE_FILE!;
const writes = Number(process.env.WRITES ?? 100);
const rowsPerWrite = Number(process.env.ROWS ?? 200);
const label = process.env.WRITER ?? String(process.pid);

const store = Store.open({ url: `file:${file}` });
// The test created the file (WAL, table) before starting the writers: with a 1 ms busy timeout, two
// writers creating it at once would collide before the retried writes this test is about.
// Start together: on a loaded machine one child can take seconds longer to boot, and writers that
// never overlap would prove nothing. The test creates START_FILE once every writer is ready.
process.stdout.write("ready\n");
while (process.env.START_FILE && !existsSync(process.env.START_FILE)) await sleep(5);
let committed = 0;
const errors: string[] = [];
// Two writes in flight at a time, as a worker with several tasks does.
await Promise.all(
  [0, 1].map(async (lane) => {
    for (let i = lane; i < writes; i += 2) {
      try {
        await store.write(async (tx) => {
          const [row] = await tx.all<{ n: number }>(sql`SELECT count(*) AS n FROM writes`);
          for (let r = 0; r < rowsPerWrite; r++) await tx.run(sql`INSERT INTO writes (writer, n, payload) VALUES (${label}, ${Number(row?.n ?? 0)}, ${"x".repeat(200)})`);
        });
        committed++;
      } catch (e) {
        errors.push(e instanceof Error ? e.message : String(e));
      }
    }
  }),
);
process.stdout.write(`${JSON.stringify({ label, committed, errors: errors.slice(0, 5), errorCount: errors.length, busyRetries: store.stats.snapshot().busyRetries })}\n`);
store.close();
