/** Small factories for the message path's unit tests: SQS records and event envelopes as a queue delivers them. */
import { randomUUID } from "node:crypto";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import type { EventName, EventPayload } from "@shared/events/catalogue";
import { makeEvent } from "@shared/outbox/events";
import { toEnvelope } from "@shared/outbox/envelope";

/** The body of a queue message carrying a valid event. */
export function envelopeBody<N extends EventName>(name: N, payload: EventPayload<N>, correlationId = randomUUID()): string {
  return JSON.stringify(toEnvelope(makeEvent(name, payload, correlationId)));
}

/** An SQS record as Lambda (or the local poller) hands it over; `attempt` is ApproximateReceiveCount. */
export function sqsRecord(body: string, options: { attempt?: number; messageId?: string; receiptHandle?: string } = {}): SQSRecord {
  const messageId = options.messageId ?? randomUUID();
  return {
    messageId,
    receiptHandle: options.receiptHandle ?? `handle-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: String(options.attempt ?? 1),
      SentTimestamp: String(Date.now()),
      SenderId: "test",
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:local:000000000000:test",
    awsRegion: "local",
  };
}

export function sqsEvent(...records: SQSRecord[]): SQSEvent {
  return { Records: records };
}
