/**
 * Regenerates fauxqs-init.json from the routing table:
 *   npx tsx local/localstack/write-fauxqs-init.ts
 * A test fails when the committed file and the table disagree.
 */
import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { fauxqsInit } from "./resources";

const target = fileURLToPath(new URL("./fauxqs-init.json", import.meta.url));
writeFileSync(target, `${JSON.stringify(fauxqsInit(), null, 2)}\n`);
process.stdout.write(`wrote ${target}\n`);
