/** `npm run migrations:embed`: regenerates migrations.generated.ts after a migration was added or changed. */
import { writeFileSync } from "node:fs";
import { GENERATED_MODULE, readMigrations, renderMigrationsModule } from "./migrationsModule";

const migrations = readMigrations();
writeFileSync(GENERATED_MODULE, renderMigrationsModule(migrations));
console.log(`wrote ${GENERATED_MODULE} (${migrations.length} migrations: ${migrations.map((m) => m.tag).join(", ")})`);
