/** `npm run docs`: regenerates docs/events.md and the routing table in docs/migration.md. */
import { readFileSync, writeFileSync } from "node:fs";
import { renderEventCatalogue } from "./eventCatalogueDoc";
import { withRouteTable } from "./routeTableDoc";

writeFileSync(new URL("../../../docs/events.md", import.meta.url), renderEventCatalogue());
const migration = new URL("../../../docs/migration.md", import.meta.url);
writeFileSync(migration, withRouteTable(readFileSync(migration, "utf8")));
process.stdout.write("docs/events.md and docs/migration.md written\n");
