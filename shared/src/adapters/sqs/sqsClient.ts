/**
 * One SQS client per process, through the real AWS SDK: AWS in the cloud, the
 * fauxqs emulator (or LocalStack) locally when an endpoint is given.
 */
import { SQSClient } from "@aws-sdk/client-sqs";

export function createSqsClient(options: { endpoint?: string | undefined; region: string }): SQSClient {
  return new SQSClient({
    region: options.region,
    // A hanging queue must not hang a request: the outbox keeps what was not sent.
    requestHandler: { requestTimeout: 5_000, connectionTimeout: 2_000 },
    maxAttempts: 2,
    ...(options.endpoint
      ? { endpoint: options.endpoint, credentials: { accessKeyId: "local", secretAccessKey: "local" } }
      : {}),
  });
}
