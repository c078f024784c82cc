import type { Envelope } from '@hubspoke/sdk';
import type { HostedPlugin } from '@hubspoke/runtime';

/** One message of an edge's payload stream as the dispatch pipeline sees it. */
export interface Delivery {
  readonly ns: string;
  readonly edge: string;
  /** Its `HS_PAYLOADS` sequence. */
  readonly seq: number;
  readonly data: Uint8Array;
  /** When the hub stored it. */
  readonly receivedNanos: number;
  /**
   * Its `Nats-Stream-Source` header when it was sourced from an edge's outbox (every message on `hs.outbox.…`;
   * an empty string when the header is missing), else undefined.
   */
  readonly source?: string | undefined;
  /** Set by the decode step. */
  env?: Envelope;
  /** Set by the route step: the receivers it is offered to, in order. */
  receivers?: readonly HostedPlugin[];
  /** The `deliveryCount` of its next offer (1 unless a replica that died may have offered it). */
  nextOffer: number;
  /**
   * Called before each offer with that offer's `deliveryCount`; resolves once it is recorded where a replica
   * taking over would read it. Rejects when this replica no longer owns the edge. Returns nothing when it is
   * recorded already (the claim covers it): no promise per payload on the common path.
   */
  beforeOffer(deliveryCount: number): Promise<void> | void;
}

/** What became of a delivery. */
export type Result =
  | { kind: 'handled'; plugin: string; deliveryCount: number }
  | { kind: 'event' }
  | { kind: 'duplicate' }
  /**
   * Not handled: `retry` when a receiver threw (or timed out) and a later offer may succeed; otherwise, or once
   * the retries are spent, dead-lettered by a middleware further out.
   */
  | { kind: 'reject'; reason: string; plugin: string; attempts: number; retry?: boolean }
  | { kind: 'dead-lettered'; reason: string; plugin: string; attempts: number }
  /** Not dealt with: this replica stops (shutting down, or it lost the edge); the message stays where it is. */
  | { kind: 'stopped' };

export type Handler = (d: Delivery) => Promise<Result>;
/** Wraps a handler with one concern (decode, dedup, durable events, retry, dead letters), like Watermill's middleware. */
export type Middleware = (next: Handler) => Handler;

/** `a(b(c(handler)))` for `compose([a, b, c], handler)`: the first middleware is the outermost. */
export function compose(middleware: readonly Middleware[], handler: Handler): Handler {
  return middleware.reduceRight<Handler>((next, m) => m(next), handler);
}
