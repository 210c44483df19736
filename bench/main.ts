/**
 * The benchmark runner: runs the selected benchmarks one after another, prints
 * the table (requirement | our aim | our measurement), and writes everything
 * to bench/results/<YYYY-MM-DD>.json. Benchmarks print figures; they do not
 * pass or fail.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ingestionBench } from "./ingestion";
import { cachingBench } from "./caching";
import { freshnessBench } from "./freshness";
import { failuresBench } from "./failures";
import { scaleBench } from "./scale";
import { overheadsBench } from "./overheads";
import { responsivenessBench } from "./responsiveness";
import { workerScalingBench } from "./workerScaling";
import { memoryBurstBench } from "./memoryBurst";
import { loadTestBench } from "./loadTest";
import { searchEvalBench } from "./searchEval";
import { writePathBench } from "./writePath";
import { celeryPeerBench } from "./celeryPeer";
import { killAllProcesses, repoRoot } from "@test/helpers/processes";
import { markdownTable, textTable, type Benchmark, type BenchResult } from "./lib/report";

const BENCHMARKS: Record<string, Benchmark> = {
  ingestion: ingestionBench,
  caching: cachingBench,
  freshness: freshnessBench,
  failures: failuresBench,
  scale: scaleBench,
  overheads: overheadsBench,
  responsiveness: responsivenessBench,
  "worker-scaling": workerScalingBench,
  "memory-burst": memoryBurstBench,
  "load-test": loadTestBench,
  search: searchEvalBench,
  "write-path": writePathBench,
  "celery-peer": celeryPeerBench,
};

interface Args {
  quick: boolean;
  only: string[];
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { quick: false, only: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--quick") args.quick = true;
    else if (a === "--only") args.only.push(...(argv[++i] ?? "").split(",").filter(Boolean));
    else if (a.startsWith("--only=")) args.only.push(...a.slice("--only=".length).split(",").filter(Boolean));
    else if (a === "--help" || a === "-h") {
      process.stdout.write(`usage: npm run bench -- [--quick] [--only ${Object.keys(BENCHMARKS).join("|")}[,...]]\n`);
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  for (const name of args.only) if (!BENCHMARKS[name]) throw new Error(`unknown benchmark ${name}; known: ${Object.keys(BENCHMARKS).join(", ")}`);
  return args;
}

function machine() {
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    cpu: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

export async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  const names = args.only.length > 0 ? args.only : Object.keys(BENCHMARKS);
  const started = new Date();
  const env = machine();
  process.stdout.write(`Neo Alexandria benchmarks (${args.quick ? "quick" : "full"}): ${names.join(", ")}\n`);
  process.stdout.write(`${env.cpu}, ${env.cores} cores, ${env.memoryGb} GB, Node ${env.node}, load average ${env.loadAverageAtStart.join(" ")}\n\n`);

  const results: BenchResult[] = [];
  const errors: Array<{ name: string; error: string }> = [];
  for (const name of names) {
    const t0 = performance.now();
    const load0 = os.loadavg()[0] ?? 0;
    process.stdout.write(`▶ ${name} ...\n`);
    try {
      const r = await BENCHMARKS[name]!({ quick: args.quick });
      const durationMs = performance.now() - t0;
      results.push({ name, ...r, durationMs, details: { ...r.details, loadAverage1mBefore: load0, loadAverage1mAfter: os.loadavg()[0] } });
      process.stdout.write(`${textTable(r.figures)}\n`);
      for (const n of r.notes) process.stdout.write(`  · ${n}\n`);
      process.stdout.write(`  (${(durationMs / 1000).toFixed(1)} s)\n\n`);
    } catch (e) {
      const error = e instanceof Error ? (e.stack ?? e.message) : String(e);
      errors.push({ name, error });
      process.stdout.write(`✗ ${name} failed: ${error}\n\n`);
    } finally {
      await killAllProcesses();
    }
  }

  const totalMs = Date.now() - started.getTime();
  const figures = results.flatMap((r) => r.figures);
  process.stdout.write(`All figures (${args.quick ? "--quick" : "full"}, ${(totalMs / 1000).toFixed(0)} s):\n${textTable(figures)}\n`);

  const dir = path.join(repoRoot, "bench", "results");
  mkdirSync(dir, { recursive: true });
  // A partial run (--only) gets its own file, so it never replaces the day's full run.
  const suffix = args.only.length > 0 ? `-${args.only.join("-")}` : "";
  const file = path.join(dir, `${started.toISOString().slice(0, 10)}${suffix}.json`);
  const report = {
    startedAt: started.toISOString(),
    totalMs,
    command: `npm run bench --${args.quick ? " --quick" : ""}${args.only.length ? ` --only ${args.only.join(",")}` : ""}`,
    quick: args.quick,
    machine: { ...env, loadAverageAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100) },
    results,
    errors,
    sdkSlowRequestWarnings: (globalThis as { __benchSdkWarnings?: { slowRequest: number } }).__benchSdkWarnings?.slowRequest ?? 0,
    markdown: markdownTable(figures),
  };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\nwritten: ${path.relative(repoRoot, file)}\n`);
  return errors.length > 0 ? 1 : 0;
}
