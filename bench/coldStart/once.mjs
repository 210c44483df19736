// One Lambda cold start as a whole process: import the bundle (init), invoke
// the handler once with a prepared event, append the two figures to a log,
// exit. Run through the per-function script the rig writes (rig.ts), which
// gives this process exactly the function's environment.
//
//   node once.mjs <bundleDir> <eventFile | claim:DIR> <label> <figuresFile>
//
// `claim:DIR` takes the first unused event file in DIR (renamed *.used), for
// events that may be handled only once (an ingestion request).
import { appendFileSync, readdirSync, readFileSync, renameSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";

const [bundleDir, eventArg, label, figures] = process.argv.slice(2);

function claim(dir) {
  for (const name of readdirSync(dir).filter((n) => n.endsWith(".json")).sort()) {
    try {
      renameSync(path.join(dir, name), path.join(dir, `${name}.used`));
      return path.join(dir, `${name}.used`);
    } catch {
      // Taken by another run.
    }
  }
  throw new Error(`no unused event left in ${dir}`);
}

const eventFile = eventArg.startsWith("claim:") ? claim(eventArg.slice("claim:".length)) : eventArg;
const event = JSON.parse(readFileSync(eventFile, "utf8"));
process.chdir(bundleDir);
const t0 = performance.now();
const { handler } = await import(pathToFileURL(path.join(bundleDir, "index.mjs")).href);
const t1 = performance.now();
const context = {
  awsRequestId: "bench",
  functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
  functionVersion: "$LATEST",
  invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${process.env.AWS_LAMBDA_FUNCTION_NAME}`,
  memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
  logGroupName: "bench",
  logStreamName: "bench",
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 60_000,
};
let ok = true;
let detail = "";
try {
  const result = await handler(event, context);
  if (result?.statusCode >= 400 || (result?.batchItemFailures?.length ?? 0) > 0) {
    ok = false;
    detail = JSON.stringify(result).slice(0, 300);
  }
} catch (error) {
  ok = false;
  detail = String(error?.stack ?? error).slice(0, 500);
}
const t2 = performance.now();
appendFileSync(figures, `${JSON.stringify({ label, importMs: t1 - t0, firstCallMs: t2 - t1, ok, detail })}\n`);
process.exit(ok ? 0 : 1);
