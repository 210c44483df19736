/**
 * A loopback FAKE of the AWS APIs no emulator offers here — Secrets Manager,
 * EventBridge PutEvents, Bedrock InvokeModel, CloudWatch GetMetricData — that
 * records every call, and a recording pass-through to the real SQS emulator
 * (fauxqs) for SQS. Functions reach it through the SDK's standard endpoint
 * variables (AWS_ENDPOINT_URL_SECRETS_MANAGER, ..._EVENTBRIDGE,
 * ..._BEDROCK_RUNTIME, ..._CLOUDWATCH, ..._SQS), so production code needs no
 * switch for it.
 *
 * Who called is read from the SigV4 credential: a test gives each simulated
 * function the logical id of its role as access key id, so every recorded
 * call can be checked against that role's policy in the template. Bedrock's
 * client speaks only HTTP/2, so it gets an h2c endpoint of its own.
 *
 * Answers are minimal but well-formed; Bedrock embeds with the lexical
 * feature-hashing embedder (deterministic, so semantic search finds what
 * shares words with the query).
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttp2Server, type Http2ServerRequest, type Http2ServerResponse, type Http2Server } from "node:http2";
import type { AddressInfo } from "node:net";

export interface RecordedCall {
  /** The access key id the caller signed with (the role's logical id in the bundle tests). */
  principal: string;
  /** IAM service prefix: sqs, secretsmanager, events, bedrock, cloudwatch. */
  service: string;
  /** API action, e.g. PutEvents. */
  action: string;
  input: Record<string, unknown>;
  /** HTTP status the fake (or fauxqs) answered. */
  status: number;
}

export interface PutEventsEntry {
  EventBusName?: string;
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Time?: string | number;
}

export interface AwsFakeOptions {
  /** fauxqs' endpoint; SQS calls are forwarded there. */
  sqsEndpoint: string;
  /** Secret values by ARN. */
  secrets: Record<string, string>;
  /** Bedrock: the embedding of one text. */
  embed(text: string, dimensions: number): number[];
  region?: string;
}

export interface AwsFake {
  /** HTTP/1.1 endpoint: Secrets Manager, EventBridge, SQS, CloudWatch. */
  readonly url: string;
  /** HTTP/2 (cleartext) endpoint: the Bedrock runtime client speaks only HTTP/2. */
  readonly bedrockUrl: string;
  readonly calls: RecordedCall[];
  /** PutEvents entries accepted so far, in order (the test's "bus" delivers them). */
  readonly events: PutEventsEntry[];
  /** While on, every InvokeModel call fails with ThrottlingException (HTTP 429), retries included. */
  throttleBedrock(on: boolean): void;
  close(): Promise<void>;
}

const JSON_TARGETS: Record<string, { service: string; contentType: string }> = {
  secretsmanager: { service: "secretsmanager", contentType: "application/x-amz-json-1.1" },
  AWSEvents: { service: "events", contentType: "application/x-amz-json-1.1" },
  AmazonSQS: { service: "sqs", contentType: "application/x-amz-json-1.0" },
  GraniteServiceVersion20100801: { service: "cloudwatch", contentType: "application/x-amz-json-1.0" },
};

export async function startAwsFake(options: AwsFakeOptions): Promise<AwsFake> {
  const calls: RecordedCall[] = [];
  const events: PutEventsEntry[] = [];
  const region = options.region ?? "us-east-1";
  const sqsOrigin = new URL(options.sqsEndpoint).origin;
  let throttled = false;
  let origin = "";

  type Req = IncomingMessage | Http2ServerRequest;
  type Res = ServerResponse | Http2ServerResponse;
  const serve = (req: Req, res: Res) => void handle(req, res).catch((e: unknown) => send(res, 500, "application/json", { __type: "InternalFailure", message: String(e) }));
  const server: Server = createServer(serve);
  const http2Server: Http2Server = createHttp2Server(serve);

  const handle = async (req: Req, res: Res): Promise<void> => {
    const raw = await readBody(req);
    const principal = /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ""))?.[1] ?? "anonymous";
    const target = String(req.headers["x-amz-target"] ?? "");
    const record = (service: string, action: string, input: Record<string, unknown>, status: number) => calls.push({ principal, service, action, input, status });

    const invoke = /^\/model\/([^/]+)\/invoke$/.exec(new URL(req.url ?? "/", "http://x").pathname);
    if (invoke) {
      const modelId = decodeURIComponent(invoke[1] ?? "");
      const body = JSON.parse(raw.toString("utf8") || "{}") as { inputText?: string; dimensions?: number };
      if (throttled) {
        record("bedrock", "InvokeModel", { modelId }, 429);
        return send(res, 429, "application/json", { message: "Too many requests, please wait before trying again." }, { "x-amzn-errortype": "ThrottlingException" });
      }
      record("bedrock", "InvokeModel", { modelId }, 200);
      const embedding = options.embed(body.inputText ?? "", body.dimensions ?? 1024);
      return send(res, 200, "application/json", { embedding, inputTextTokenCount: (body.inputText ?? "").split(/\s+/).length });
    }

    const [prefix, action = ""] = target.split(".");
    const protocol = JSON_TARGETS[prefix ?? ""];
    if (!protocol) return send(res, 400, "application/json", { __type: "UnknownOperationException", message: `no fake for ${req.method} ${req.url} ${target}` });
    const input = JSON.parse(raw.toString("utf8") || "{}") as Record<string, unknown>;

    if (protocol.service === "sqs") {
      // The real emulator answers; its queue URLs are rewritten so later calls come back through here.
      const forwarded = await fetch(`${sqsOrigin}/`, {
        method: "POST",
        headers: { "content-type": String(req.headers["content-type"] ?? protocol.contentType), "x-amz-target": target, authorization: String(req.headers.authorization ?? "") },
        body: raw.toString("utf8").replaceAll(origin, sqsOrigin),
      });
      const text = (await forwarded.text()).replaceAll(sqsOrigin, origin);
      record("sqs", action, input, forwarded.status);
      const headers: Record<string, string> = {};
      forwarded.headers.forEach((v, k) => {
        if (k.startsWith("x-amz")) headers[k] = v;
      });
      return sendText(res, forwarded.status, forwarded.headers.get("content-type") ?? protocol.contentType, text, headers);
    }

    const reply = answer(protocol.service, action, input);
    record(protocol.service, action, input, reply.status);
    if (reply.status !== 200) return send(res, reply.status, protocol.contentType, reply.body, { "x-amzn-errortype": String((reply.body as { __type?: string }).__type) });
    return send(res, 200, protocol.contentType, reply.body);
  };

  const answer = (service: string, action: string, input: Record<string, unknown>): { status: number; body: unknown } => {
    if (service === "secretsmanager" && action === "GetSecretValue") {
      const id = String(input.SecretId);
      const value = options.secrets[id];
      if (value === undefined) return { status: 400, body: { __type: "ResourceNotFoundException", message: `Secrets Manager can't find the specified secret: ${id}` } };
      return { status: 200, body: { ARN: id, Name: id.split(":").pop(), SecretString: value, VersionId: randomUUID(), VersionStages: ["AWSCURRENT"], CreatedDate: Date.now() / 1000 } };
    }
    if (service === "events" && action === "PutEvents") {
      const entries = (input.Entries ?? []) as PutEventsEntry[];
      events.push(...entries);
      return { status: 200, body: { FailedEntryCount: 0, Entries: entries.map(() => ({ EventId: randomUUID() })) } };
    }
    if (service === "cloudwatch" && action === "GetMetricData") {
      const queries = (input.MetricDataQueries ?? []) as Array<{ Id: string; Label?: string }>;
      return { status: 200, body: { MetricDataResults: queries.map((q) => ({ Id: q.Id, Label: q.Label ?? q.Id, Timestamps: [], Values: [], StatusCode: "Complete" })), Messages: [] } };
    }
    return { status: 400, body: { __type: "UnknownOperationException", message: `the fake does not implement ${service}:${action} (${region})` } };
  };

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  await new Promise<void>((resolve) => http2Server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    bedrockUrl: `http://127.0.0.1:${(http2Server.address() as AddressInfo).port}`,
    calls,
    events,
    throttleBedrock: (on) => void (throttled = on),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => http2Server.close(() => resolve()));
    },
  };
}

async function readBody(req: IncomingMessage | Http2ServerRequest): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function send(res: ServerResponse | Http2ServerResponse, status: number, contentType: string, body: unknown, headers: Record<string, string> = {}): void {
  sendText(res, status, contentType, JSON.stringify(body), headers);
}

function sendText(res: ServerResponse | Http2ServerResponse, status: number, contentType: string, text: string, headers: Record<string, string> = {}): void {
  res.statusCode = status;
  for (const [name, value] of Object.entries({ "content-type": contentType, "content-length": String(Buffer.byteLength(text)), "x-amzn-requestid": randomUUID(), ...headers })) res.setHeader(name, value);
  res.end(text);
}
