/**
 * A child process that takes the write lock of the libSQL file STORE_FILE,
 * says "holding", keeps it for HOLD_MS, commits and says "released": another
 * process's writer meets a lock it has to wait out (busy) for a known time.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { createClient } from "@libsql/client";

const client = createClient({ url: `file:${process.env.STORE_FILE!}` });
const tx = await client.transaction("write");
await tx.execute({ sql: "INSERT INTO writes (writer) VALUES (?)", args: ["holder"] });
process.stdout.write("holding\n");
await sleep(Number(process.env.HOLD_MS ?? 500));
await tx.commit();
process.stdout.write("released\n");
client.close();
