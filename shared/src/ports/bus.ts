import type { DomainEvent } from "../events/catalogue";

export interface PublishResult {
  /** Event ids the bus did not accept; the outbox keeps them for the next sweep. */
  failedEventIds: string[];
}

/**
 * Carries events out of the process: EventBridge on AWS, the local bus
 * (routing table → SQS) on one machine. Publishing is at-least-once.
 */
export interface EventBus {
  publish(events: readonly DomainEvent[]): Promise<PublishResult>;
}
