/**
 * Environment variables the function code reads (functions/src/compose.ts).
 * Built in one place so every function sees the same names.
 */
import { EMBEDDING_MODEL_ID, METRICS_NAMESPACE, SERVICE_NAME } from "./config";

export interface SharedEnvironmentInputs {
  prefix: string;
  eventBusName: string;
  libsqlSecretArn: string;
  redisUrl: string;
}

export function sharedEnvironment(inputs: SharedEnvironmentInputs): Record<string, string> {
  return {
    RUNTIME: "aws",
    EVENT_BUS_NAME: inputs.eventBusName,
    QUEUE_PREFIX: inputs.prefix,
    LIBSQL_SECRET_ARN: inputs.libsqlSecretArn,
    REDIS_URL: inputs.redisUrl,
    // ElastiCache Serverless speaks the cluster protocol only.
    REDIS_CLUSTER: "true",
    EMBEDDER: "bedrock",
    BEDROCK_MODEL_ID: EMBEDDING_MODEL_ID,
    POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    // Lambdas must never read the local file system on a user's behalf.
    ALLOW_FILE_URLS: "false",
    // A Lambda container is a sandbox already (memory cap, timeout): the first attempt parses in process,
    // without forking the extraction child (~0.5-1 s of a cold start); retries use the child (docs/security.md).
    EXTRACTION_ISOLATION: "in-process-first",
  };
}
