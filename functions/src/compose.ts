/**
 * The AWS composition root: one app per Lambda container, built on the first
 * invocation and reused (store client, Redis client, SDK clients). Secrets come
 * from Secrets Manager; everything else from the environment CDK sets.
 */
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { ConfigError, loadConfig } from "@shared/config";
import { Store } from "@shared/adapters/libsql/store";
import { EventBridgeBus } from "@shared/adapters/aws/eventBridgeBus";
import { readSecretField } from "@shared/adapters/aws/secrets";
import { createEmbedder, embedderWithId } from "@shared/adapters/embedders";
import { EventEmitter } from "@shared/events/emitter";
import { OutboxRelay } from "@shared/outbox/outbox";
import { applyRouteOverrides, routes } from "@shared/events/routing";
import type { AppContext } from "@shared/app/context";
import type { Embedder } from "@shared/ports/embedder";
import { createCaching } from "@shared/adapters/cacheFactory";
import { withAwsObservability } from "@shared/observability/awsRuntime";
import { reportingThrottling } from "@shared/observability/embedderThrottling";

let app: Promise<AppContext> | undefined;
const otherEmbedders = new Map<string, Embedder | undefined>();

async function build(): Promise<AppContext> {
  const env: Record<string, string | undefined> = { ...process.env, RUNTIME: "aws" };
  // Both secrets at once: one round trip of a cold start instead of two.
  const { API_KEY_SECRET_ARN: apiKeyArn, LIBSQL_SECRET_ARN: libsqlArn } = process.env;
  const [apiKey, libsqlUrl, libsqlAuthToken] = await Promise.all([
    apiKeyArn ? readSecretField(apiKeyArn, "apiKey") : undefined,
    libsqlArn ? readSecretField(libsqlArn, "url") : undefined,
    libsqlArn ? readSecretField(libsqlArn, "authToken") : undefined,
  ]);
  if (apiKeyArn) env.API_KEY = apiKey;
  if (libsqlArn) Object.assign(env, { LIBSQL_URL: libsqlUrl, LIBSQL_AUTH_TOKEN: libsqlAuthToken });
  const config = loadConfig(env);
  // The sentence encoder is not bundled into functions (its model and TensorFlow.js are local only).
  if (config.embedder === "encoder") throw new ConfigError("EMBEDDER=encoder runs locally only; on AWS use bedrock (or lexical)");
  const embedderOptions = { bedrock: { modelId: config.bedrockModelId, region: config.awsRegion } };
  // groupCommitMs 0: a frozen Lambda must not hold bookkeeping writes on a timer.
  const store = Store.open({ url: config.libsqlUrl, authToken: config.libsqlAuthToken, groupCommitMs: 0 });
  // The Redis connection (TLS, cluster slots) is made while the schema check waits for the database.
  const [caching] = await Promise.all([createCaching(config), store.migrate()]);
  const emitter = EventEmitter.shared();
  const bus = new EventBridgeBus(new EventBridgeClient({ region: config.awsRegion }), config.eventBusName);
  // Shared event history, EMF cache metrics and the runtime view for /monitoring/*.
  return withAwsObservability({
    config,
    store,
    ...caching,
    // Throttling by the model is a degraded mode (the task retries later): counted as a metric.
    embedder: reportingThrottling(createEmbedder(config.embedder, embedderOptions)),
    embedderById: (id) => {
      if (!otherEmbedders.has(id)) {
        const other = embedderWithId(id, embedderOptions);
        otherEmbedders.set(id, other && reportingThrottling(other));
      }
      return otherEmbedders.get(id);
    },
    emitter,
    relay: new OutboxRelay(store, bus, emitter),
    routes: applyRouteOverrides(routes, config.routeOverrides),
  });
}

/** The container's app; a failed build is retried on the next invocation. */
export function getApp(): Promise<AppContext> {
  if (!app) {
    app = build();
    app.catch(() => (app = undefined));
  }
  return app;
}
