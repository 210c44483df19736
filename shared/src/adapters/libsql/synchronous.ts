/**
 * SQLite's `synchronous` for the local files (docs/operations.md,
 * "Durability"): the store's connections and the local queue server's file.
 * Its own module, so that the queue server process reads it without loading
 * the store and its client.
 */
export type StoreSynchronous = "normal" | "full";

/** STORE_SYNCHRONOUS, checked: `normal` (the default) or `full`. */
export function synchronousFromEnv(value: string | undefined = process.env.STORE_SYNCHRONOUS): StoreSynchronous {
  const v = (value ?? "").trim().toLowerCase();
  if (v === "" || v === "normal") return "normal";
  if (v === "full") return "full";
  throw new Error(`STORE_SYNCHRONOUS must be "normal" or "full", not ${JSON.stringify(value)}`);
}
