/**
 * `npm run bench [-- --quick] [-- --only <name>[,<name>...]]`
 *
 * Sets the log level before any module that reads it is loaded, then runs the
 * benchmarks (bench/main.ts). The AWS SDK's "request has exceeded the
 * configured requestTimeout" warnings (long polls delayed by a saturated event
 * loop) are counted instead of printed; the count is in the results file.
 */
process.env.LOG_LEVEL ??= "silent";
const sdkWarnings = { slowRequest: 0 };
(globalThis as { __benchSdkWarnings?: typeof sdkWarnings }).__benchSdkWarnings = sdkWarnings;
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === "string" && args[0].includes("exceeded the configured") && args[0].includes("requestTimeout")) {
    sdkWarnings.slowRequest++;
    return;
  }
  warn(...args);
};
const { main } = await import("./main");
process.exit(await main(process.argv.slice(2)));
export {};
