/**
 * One way to build every Lambda of the system: Node 24 on arm64, bundled by
 * the local esbuild (no Docker), its own log group with a retention, and its
 * own role whose only built-in right is writing to that log group. Everything
 * else a function may do is granted explicitly by the construct that owns the
 * resource.
 */
import { RemovalPolicy, Validations, type Duration } from "aws-cdk-lib";
import type * as ec2 from "aws-cdk-lib/aws-ec2";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { LogLevel, NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import path from "node:path";
import { Construct } from "constructs";
import { SANDBOX_BUNDLE_FILE } from "@shared/ingest/sandbox";
import { lockFile, repoRoot } from "../paths";

export const FUNCTION_RUNTIME = lambda.Runtime.NODEJS_24_X;

export interface AppFunctionProps {
  functionName: string;
  entry: string;
  description: string;
  memoryMb: number;
  timeout: Duration;
  environment: Record<string, string>;
  /** When set, the function runs in these subnets (to reach the cache) with this security group. */
  network?: { vpc: ec2.IVpc; subnets: ec2.SubnetSelection; securityGroup: ec2.ISecurityGroup };
  /**
   * Packages the code imports with `await import()` only on the paths that need them (PDF.js):
   * they go beside the bundle as `node_modules/<name>/index.mjs`, each bundled into one file,
   * so a cold start neither reads nor compiles them.
   */
  lazyModules?: readonly LazyModule[];
}

/**
 * Import paths esbuild replaces in every function bundle.
 * - `@libsql/client`: Lambda only talks to a remote libSQL server. The default entry loads the native
 *   embedded-database binding at import time, which is not in the bundle and would crash the function
 *   at init; the web entry speaks HTTP/WebSocket only.
 * - `@aws-sdk/credential-provider-node`: Lambda gives the role's credentials in the environment; the
 *   SDK's full provider chain (SSO, profiles, STS, IMDS) is ~105 kB that every cold start compiled and
 *   never ran (functions/src/lambdaCredentials.ts).
 */
const ALIASES: Record<string, string> = {
  "@libsql/client": "@libsql/client/web",
  "@aws-sdk/credential-provider-node": path.join(repoRoot, "functions", "src", "lambdaCredentials.ts"),
};
/** CommonJS dependencies bundled into an ES module still call require() for Node builtins. */
const CJS_REQUIRE_BANNER = "import { createRequire as __cjsRequire } from 'node:module'; const require = __cjsRequire(import.meta.url);";

/** Heavy libraries the code loads on first use; see `lazyModules`. */
export const LAZY_MODULES = ["unpdf"] as const;
export type LazyModule = (typeof LAZY_MODULES)[number];

export class AppFunction extends Construct {
  readonly fn: NodejsFunction;
  /** The literal name (fn.functionName is a token); dashboards and alarms address functions by it. */
  readonly functionName: string;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: AppFunctionProps) {
    super(scope, id);
    this.functionName = props.functionName;
    this.logGroup = new logs.LogGroup(this, "Logs", {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.role = new iam.Role(this, "Role", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: `Execution role of ${props.functionName}`,
    });
    // Only CreateLogStream/PutLogEvents on this function's own log group, instead of
    // AWSLambdaBasicExecutionRole's logs:* on every log group of the account.
    this.logGroup.grantWrite(this.role);

    if (props.network) {
      // Lambda needs to create and delete its elastic network interfaces; the EC2 actions
      // involved (Describe*, Create/DeleteNetworkInterface, Assign/Unassign addresses) do not
      // support resource-level scoping in a way Lambda's service uses them. AWS keeps this
      // managed policy to exactly that set, so we use it rather than a hand-copied wildcard.
      this.role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName("service-role/AWSLambdaVPCAccessExecutionRole"));
      Validations.of(this.role).acknowledge({
        id: "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]",
        reason: "ENI management for a VPC-attached Lambda; the EC2 actions it grants cannot be narrowed to resources and AWS maintains the list.",
      });
    }

    this.fn = new NodejsFunction(this, "Function", {
      functionName: props.functionName,
      description: props.description,
      entry: props.entry,
      handler: "handler",
      runtime: FUNCTION_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memoryMb,
      timeout: props.timeout,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      // No --enable-source-maps: Node would read and parse the whole map at every cold start
      // (+10-20% init time, +~20 MB memory, measured in docs/deploy.md). The map ships beside the
      // bundle, so setting NODE_OPTIONS=--enable-source-maps on a function maps its stack traces
      // while someone debugs it.
      environment: { ...props.environment },
      projectRoot: repoRoot,
      depsLockFilePath: lockFile,
      ...(props.network
        ? { vpc: props.network.vpc, vpcSubnets: props.network.subnets, securityGroups: [props.network.securityGroup] }
        : {}),
      bundling: {
        externalModules: [...(props.lazyModules ?? [])],
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir, outputDir) => [
            splitBundle(inputDir, outputDir, props.entry, props.lazyModules ?? []),
            ...(props.lazyModules ?? []).flatMap((name) => bundleBeside(inputDir, outputDir, name)),
            // Functions that may extract documents also ship the extraction sandbox's entry.
            ...((props.lazyModules ?? []).length > 0 ? bundleSandboxEntry(inputDir, outputDir, props.lazyModules ?? []) : []),
          ],
        },
        format: OutputFormat.ESM,
        target: "node24",
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        logLevel: LogLevel.ERROR,
        // Ship the SDK versions we tested with instead of whatever the runtime carries.
        bundleAwsSDK: true,
        mainFields: ["module", "main"],
        banner: CJS_REQUIRE_BANNER,
        esbuildArgs: Object.fromEntries(Object.entries(ALIASES).map(([from, to]) => [`--alias:${from}`, to])),
      },
    });
  }
}

/**
 * The shell command that bundles the function again, the same way (same flags as the `bundling` props
 * above) but with code splitting: what the code loads with `await import()` (the HTML extractor,
 * the seed classifier data, the monitoring clients) goes into `chunk-*.mjs` files beside `index.mjs`,
 * which a cold start neither reads nor compiles. (NodejsFunction's own esbuild call writes one
 * `--outfile`, which esbuild cannot split; this replaces its `index.mjs` and map.)
 */
function splitBundle(inputDir: string, outputDir: string, entry: string, lazyModules: readonly string[]): string {
  const esbuild = path.join(inputDir, "node_modules", ".bin", "esbuild");
  const args = [
    "--bundle",
    `"${path.resolve(entry)}"`,
    "--platform=node",
    "--format=esm",
    "--target=node24",
    "--splitting",
    `--outdir="${outputDir}"`,
    "--entry-names=index",
    "--chunk-names=chunk-[hash]",
    "--out-extension:.js=.mjs",
    "--minify",
    "--sourcemap",
    "--sources-content=false",
    "--log-level=error",
    "--main-fields=module,main",
    ...lazyModules.map((name) => `--external:${name}`),
    ...Object.entries(ALIASES).map(([from, to]) => `--alias:${from}="${to}"`),
    `--banner:js="${CJS_REQUIRE_BANNER}"`,
  ];
  return `cd "${inputDir}" && rm -f "${path.join(outputDir, "index.mjs")}" "${path.join(outputDir, "index.mjs.map")}" && "${esbuild}" ${args.join(" ")}`;
}

/**
 * Shell commands that bundle the extraction sandbox's child-process entry
 * (shared/src/ingest/sandboxWorker.ts) into `<outputDir>/extract-sandbox.mjs`,
 * the file shared/src/ingest/sandbox.ts forks from beside the function's code.
 * The lazy modules stay external: the child loads them from beside the bundle too.
 */
function bundleSandboxEntry(inputDir: string, outputDir: string, lazyModules: readonly string[]): string[] {
  const esbuild = path.join(inputDir, "node_modules", ".bin", "esbuild");
  const entry = path.join(inputDir, "shared", "src", "ingest", "sandboxWorker.ts");
  const externals = lazyModules.map((name) => `--external:${name}`).join(" ");
  const banner = CJS_REQUIRE_BANNER;
  return [
    `cd "${inputDir}" && "${esbuild}" "${entry}" --bundle --platform=node --format=esm --target=node24 --minify --log-level=error ${externals} --main-fields=module,main --banner:js="${banner}" --outfile="${path.join(outputDir, SANDBOX_BUNDLE_FILE)}"`,
  ];
}

/**
 * Shell commands that bundle package `name` into `<outputDir>/node_modules/<name>/index.mjs`
 * (one ES module, its own dependencies inside), where Node's resolution finds it from the
 * function's `index.mjs`.
 */
function bundleBeside(inputDir: string, outputDir: string, name: string): string[] {
  const dir = path.join(outputDir, "node_modules", name);
  const esbuild = path.join(inputDir, "node_modules", ".bin", "esbuild");
  const manifest = JSON.stringify({ name, type: "module", main: "index.mjs" });
  return [
    `mkdir -p "${dir}"`,
    // A re-export read from stdin, resolved from the project (its node_modules), bundled whole.
    `cd "${inputDir}" && printf 'export * from "${name}";' | "${esbuild}" --bundle --platform=node --format=esm --target=node24 --minify --log-level=error --sourcefile=lazy-${name}.mjs --outfile="${path.join(dir, "index.mjs")}"`,
    `echo '${manifest}' > "${path.join(dir, "package.json")}"`,
  ];
}
