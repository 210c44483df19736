/** `npm run docs`: regenerates docs/events.md. */
import { writeFileSync } from "node:fs";
import { renderEventCatalogue } from "./eventCatalogueDoc";

writeFileSync(new URL("../../../docs/events.md", import.meta.url), renderEventCatalogue());
process.stdout.write("docs/events.md written\n");
