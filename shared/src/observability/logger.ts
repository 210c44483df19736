/**
 * One structured JSON logger for every process (Powertools Logger works the
 * same on Lambda and locally). Level from LOG_LEVEL (silent in tests).
 */
import { Logger } from "@aws-lambda-powertools/logger";

const level = (process.env.LOG_LEVEL ?? (process.env.VITEST ? "silent" : "info")).toUpperCase();

export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "neo-alexandria",
  logLevel: level as "INFO",
});

export type AppLogger = Pick<Logger, "debug" | "info" | "warn" | "error">;
