// The inside of a simulated Lambda container (test/helpers/lambdaProcess.ts):
// plain JavaScript run by bare Node, no tsx or vitest, so the bundle finds
// nothing Lambda would not give it. Like Lambda's Node runtime it imports the
// handler module once (init), then invokes the handler once per event the
// parent sends, keeping the module state between invocations (a warm
// container). Everything the function writes to stdout (logs, EMF metrics) is
// captured per invocation and sent back with the result.
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";

const [bundle, handlerName = "handler"] = process.argv.slice(2);

let captured = [];
const partial = { stdout: "", stderr: "" };
// Lambda turns each line on stdout or stderr into a log record; tests read them back (EMF metrics are such lines).
for (const name of ["stdout", "stderr"]) {
  const stream = process[name];
  const originalWrite = stream.write.bind(stream);
  stream.write = (chunk, encoding, callback) => {
    const text = partial[name] + (typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
    const lines = text.split("\n");
    partial[name] = lines.pop() ?? "";
    captured.push(...lines.filter((l) => l.length > 0));
    return originalWrite(chunk, encoding, callback);
  };
}
const takeLines = () => {
  for (const name of ["stdout", "stderr"]) {
    if (partial[name]) captured.push(partial[name]);
    partial[name] = "";
  }
  const lines = captured;
  captured = [];
  return lines;
};

const initStart = performance.now();
let handler;
try {
  const mod = await import(pathToFileURL(bundle).href);
  handler = mod[handlerName];
  if (typeof handler !== "function") throw new Error(`${bundle} exports no function ${handlerName}`);
} catch (error) {
  process.send({ type: "init-error", error: describe(error), lines: takeLines() });
  process.exit(1);
}
process.send({ type: "ready", initMs: performance.now() - initStart, lines: takeLines() });

process.on("message", async (message) => {
  if (message?.type !== "invoke") return;
  const started = performance.now();
  const deadline = Date.now() + message.timeoutMs;
  const context = {
    ...message.context,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    const result = await handler(message.event, context);
    process.send({ type: "result", id: message.id, result: result ?? null, durationMs: performance.now() - started, lines: takeLines() });
  } catch (error) {
    process.send({ type: "result", id: message.id, error: describe(error), durationMs: performance.now() - started, lines: takeLines() });
  }
});

function describe(error) {
  return error instanceof Error ? { name: error.name, message: error.message, stack: error.stack } : { name: "Error", message: String(error) };
}
