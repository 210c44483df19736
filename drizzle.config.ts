// drizzle-kit generates the table DDL from shared/src/adapters/libsql/schema.ts;
// FTS5 and vector DDL live in custom migrations (`drizzle-kit generate --custom`).
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "turso",
  schema: "./shared/src/adapters/libsql/schema.ts",
  out: "./shared/migrations",
  dbCredentials: { url: "file:./data/drizzle-kit.db" },
});
