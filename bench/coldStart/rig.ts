/**
 * Cold starts of the deployed bundles, one whole process per start, so an
 * outside timer (or /usr/bin/time) can compare two builds run after run.
 *
 * The rig starts the local cloud the bundle test uses (test/infra/bundleHarness.ts:
 * libSQL stand-in, Redis cluster+TLS, SQS, the recording AWS fake) for a
 * synthesized cloud assembly, prepares first-call events, writes one shell
 * script per function that runs `once.mjs` with exactly that function's
 * environment, and stays up until interrupted:
 *
 *   npx tsx bench/coldStart/rig.ts <cdk.out dir> <state dir> [ingestion batches]
 *   sh <state>/run-api.sh <asset dir>          # one cold start: import + GET /health
 *   sh <state>/run-ingestion.sh <asset dir>    # import + a batch of text, PDF and HTML (fresh resources each run)
 *   sh <state>/run-search-index.sh <asset dir> # import + the search-index batch the first ingestion caused
 *   sh <state>/run-jobs.sh <asset dir>         # import + the first scheduled job
 *
 * Each run appends {label, importMs, firstCallMs, ok} to <state>/figures.jsonl.
 * The asset dir may be another build's (an earlier commit's `cdk synth -o`):
 * same stand-ins, same events, different code.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { SQSEvent } from "aws-lambda";
import { httpEvent } from "@test/infra/deployed-bundle-assertions";
import { startHarness, toEventBridgeEvent } from "@test/infra/bundleHarness";
import { ACCOUNT, REGION, type EventBridgeEvent, type TemplateJson } from "@test/infra/deployment";
import { lambdaNodeBinary } from "@test/helpers/lambdaProcess";
import { queueName, TaskNames } from "@shared/events/routing";

const PREFIX = "alexandria";
const [outdir, stateDir, batchArg] = process.argv.slice(2);
if (!outdir || !stateDir) throw new Error("usage: rig.ts <cdk.out dir> <state dir> [ingestion batches]");
const batches = Number(batchArg ?? 40);
const once = fileURLToPath(new URL("./once.mjs", import.meta.url));
const pdf = readFileSync(new URL("../../test/fixtures/ingest/pdf/groff-meintro-p1-3.pdf", import.meta.url)).toString("base64");

const template = JSON.parse(readFileSync(path.join(outdir, "NeoAlexandria.template.json"), "utf8")) as TemplateJson;
const h = await startHarness(template, outdir);
mkdirSync(path.join(stateDir, "ingestion"), { recursive: true });

const sqsEvent = (queue: string, events: EventBridgeEvent[]): SQSEvent => ({
  Records: events.map((event, i) => ({
    messageId: `${event.id}-${i}`,
    receiptHandle: `rh-${event.id}`,
    body: JSON.stringify(event),
    attributes: { ApproximateReceiveCount: "1", SentTimestamp: String(Date.now()), SenderId: "AIDAEVENTBRIDGE", ApproximateFirstReceiveTimestamp: String(Date.now()) },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: `arn:aws:sqs:${REGION}:${ACCOUNT}:${queue}`,
    awsRegion: REGION,
  })),
});
/** The recorded PutEvents entries from `from` on, grouped by the task queue their rules send them to. */
const routed = (from: number): Map<string, EventBridgeEvent[]> => {
  const out = new Map<string, EventBridgeEvent[]>();
  for (const entry of h.aws.events.slice(from)) {
    const event = toEventBridgeEvent(entry);
    for (const arn of h.deployment.targetsOf(entry.EventBusName ?? "default", event)) {
      const queue = arn.split(":").pop() ?? "";
      out.set(queue, [...(out.get(queue) ?? []), event]);
    }
  }
  return out;
};

const api = await h.startFunction(`${PREFIX}-api`);
const post = async (body: unknown) => {
  const out = await api.invoke<{ statusCode: number; body: string }>(httpEvent("POST", "/resources", { body }));
  if (out.result?.statusCode !== 202) throw new Error(`POST /resources: ${JSON.stringify(out.result ?? out.error)}`);
};
const ingestionQueue = queueName("ingestion", PREFIX);
for (let i = 0; i < batches; i++) {
  const from = h.aws.events.length;
  await post({ title: `Lighthouse keepers ${i}`, content: `Lighthouse keepers trimmed the lamp wicks every evening, log ${i}, and noted passing ships in the harbour.` });
  await post({ content: pdf, contentType: "application/pdf" });
  await post({ contentType: "text/html", content: `<html><head><title>Tide tables ${i}</title></head><body><main><h1>Tide tables</h1><p>Mariners read tide table ${i} before crossing the sandbar at the estuary mouth.</p></main></body></html>` });
  const events = routed(from).get(ingestionQueue) ?? [];
  writeFileSync(path.join(stateDir, "ingestion", `${String(i).padStart(4, "0")}.json`), JSON.stringify(sqsEvent(ingestionQueue, events)));
}
writeFileSync(path.join(stateDir, "api.json"), JSON.stringify(httpEvent("GET", "/health")));

// One extra ingestion, run here, to get what the later consumers receive first.
{
  const from = h.aws.events.length;
  await post({ title: "Rig", content: "Harbour pilots guide ships through the channel at high water." });
  const ingestion = await h.startFunction(`${PREFIX}-task-ingestion`);
  const after = h.aws.events.length;
  await ingestion.invoke(sqsEvent(ingestionQueue, routed(from).get(ingestionQueue) ?? []));
  for (const [queue, events] of routed(after)) {
    const task = TaskNames.find((t) => queueName(t, PREFIX) === queue);
    if (task && task !== "ingestion") writeFileSync(path.join(stateDir, `${task}.json`), JSON.stringify(sqsEvent(queue, events)));
  }
  await ingestion.stop();
}
const [firstSchedule] = Object.values(h.deployment.scheduleInputs());
writeFileSync(path.join(stateDir, "jobs.json"), JSON.stringify(firstSchedule));

const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
const script = (fn: string, label: string, eventArg: string) => {
  const env = Object.entries(h.environment(fn))
    .filter(([k]) => k !== "LAMBDA_TASK_ROOT")
    .map(([k, v]) => `${k}=${quote(v)}`)
    .join(" ");
  writeFileSync(
    path.join(stateDir, `run-${label}.sh`),
    `# ${fn}: one cold start of the bundle in $1\nexec env -i ${env} LAMBDA_TASK_ROOT="$1" ${quote(lambdaNodeBinary())} ${quote(once)} "$1" ${quote(eventArg)} "${label}:$1" ${quote(path.join(stateDir, "figures.jsonl"))}\n`,
  );
};
script(`${PREFIX}-api`, "api", path.join(stateDir, "api.json"));
script(`${PREFIX}-task-ingestion`, "ingestion", `claim:${path.join(stateDir, "ingestion")}`);
for (const task of TaskNames) if (task !== "ingestion") script(`${PREFIX}-task-${task}`, task, path.join(stateDir, `${task}.json`));
script(`${PREFIX}-jobs`, "jobs", path.join(stateDir, "jobs.json"));
await api.stop();
console.log(`rig ready: ${stateDir} (Ctrl-C to stop)`);
const stop = () => void h.dispose().then(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
setInterval(() => undefined, 60_000);
