/**
 * The custom event bus every domain event is published to, and the dead-letter
 * queue for events the bus could not deliver to a route's queue.
 */
import * as events from "aws-cdk-lib/aws-events";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { deadLetterQueue } from "./queues";

export class Messaging extends Construct {
  readonly bus: events.EventBus;
  /** Events EventBridge gave up delivering to a route queue (after the target retry policy). */
  readonly deliveryDlq: sqs.Queue;
  readonly deliveryDlqName: string;

  constructor(scope: Construct, id: string, props: { prefix: string }) {
    super(scope, id);
    this.bus = new events.EventBus(this, "Bus", {
      eventBusName: props.prefix,
      description: "Neo Alexandria domain events (source neo-alexandria, detail-type = event name)",
    });
    this.deliveryDlqName = `${props.prefix}-bus-delivery-dlq`;
    this.deliveryDlq = deadLetterQueue(this, "DeliveryDlq", this.deliveryDlqName, "EventBridge rule targets");
  }
}
