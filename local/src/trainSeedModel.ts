/** `npm run train-seed`: rebuilds shared/data/seed-model.json from the seed corpus. */
import { writeFileSync } from "node:fs";
import { buildSeedModelFile } from "@shared/app/seedModel";

const file = await buildSeedModelFile();
writeFileSync(new URL("../../shared/data/seed-model.json", import.meta.url), `${JSON.stringify(file)}\n`);
process.stdout.write(`seed model written: ${file.examples} examples, held-out accuracy ${file.accuracy.toFixed(3)}\n`);
