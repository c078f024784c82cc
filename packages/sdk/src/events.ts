import type { Direction } from './direction.js';

/** Options of `publish` and `publishRaw`. */
export interface PublishOptions {
  /** Ties events and payloads of one flow together; arrives unchanged. */
  correlationId?: string;
  /** The id of the event that caused this one. */
  causationId?: string;
  /** String pairs carried with the event (limits: `docs/errors.md`, `HS_ERR_METADATA_INVALID`). */
  metadata?: Record<string, string>;
  /** DirDown only: the target namespace. @default every namespace */
  namespace?: string;
  /** DirDown only: the target edge. @default every edge (of `namespace`, if given) */
  edgeId?: string;
  /** W3C trace context to carry. @default the current handler's, if any */
  traceparent?: string;
  /** Go through JetStream and survive disconnection (needs the durable-payload feature). @default false */
  durable?: boolean;
}

/** An event as a subscriber sees it. */
export interface Event {
  /** Unique id, set by the publishing node; duplicates are delivered once. */
  readonly id: string;
  readonly topic: string;
  /** `plugin:<name>@<nodeId>` of the publisher. */
  readonly origin: string;
  /** The direction it was published with; `Local` when it arrived from the other side. */
  readonly dir: Direction;
  /** The payload, JSON-decoded (decoded on first access); `raw` for `publishRaw` payloads. */
  readonly payload: unknown;
  /** The payload bytes as sent. */
  readonly raw: Uint8Array;
  /** `application/json` for `publish`, `application/octet-stream` for `publishRaw`. */
  readonly contentType: string;
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly traceparent?: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** When the origin published it. */
  readonly timestamp: Date;
  /** When this node received it. */
  readonly receivedAt: Date;
  /** Up: the sending edge's namespace; Down: the target namespace, undefined = all. */
  readonly namespace?: string;
  /** Up: the sending edge; Down: the target edge, undefined = all. */
  readonly edgeId?: string;
}

/** Handles one event. A throw is logged and counted; it never affects other subscriptions. */
export type EventHandler = (ev: Event) => void | Promise<void>;

/** Options of a subscription. */
export interface SubscribeOptions {
  /** Events held for this subscription while its handler is busy; beyond it, events are dropped and counted. @default 1024 */
  queueSize?: number;
}

/** The Events service: `ctx.services.events`. */
export interface EventsService {
  /**
   * Publishes a JSON-serialisable payload. Resolves to the event id.
   * Up from an edge reaches control-plane subscribers; Down from the control plane reaches the addressed edges;
   * every event is also delivered to this node's own subscribers.
   */
  publish(topic: string, payload: unknown, dir: Direction, opts?: PublishOptions): Promise<string>;
  /** Publishes bytes as they are (`application/octet-stream`). Resolves to the event id. */
  publishRaw(topic: string, payload: Uint8Array, dir: Direction, opts?: PublishOptions): Promise<string>;
  /** Subscribes to a topic or pattern (`*` one token, `>` the rest). Resolves once live across the fabric. */
  subscribe(topicOrPattern: string, handler: EventHandler, opts?: SubscribeOptions): Promise<string>;
  /** Subscribes to every event this node sees. */
  subscribeAll(handler: EventHandler, opts?: SubscribeOptions): Promise<string>;
  /** Ends a subscription; events already queued for it are discarded. */
  unsubscribe(subscriptionId: string): Promise<void>;
}
