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
  /**
   * True when `publish` runs the consumers before it resolves (TASK_MODE=inline). Their own
   * events are published from inside that call, so the relay must not make them wait for a
   * publish it is itself still inside.
   */
  readonly runsConsumers?: boolean;
}
