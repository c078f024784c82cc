import { Buffer } from 'node:buffer';
import { CONTENT_TYPE_JSON, type Direction, type Envelope, type Event } from '@hubspoke/sdk';

/** An event as handlers see it; the JSON payload is parsed on first access, once for all subscribers. */
export class FabricEvent implements Event {
  readonly id: string;
  readonly topic: string;
  readonly origin: string;
  readonly dir: Direction;
  readonly raw: Uint8Array;
  readonly contentType: string;
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly traceparent?: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly namespace?: string;
  readonly edgeId?: string;
  private readonly timeMs: number;
  private readonly receivedMs: number;
  private parsed: unknown;
  private isParsed = false;

  constructor(env: Envelope, dir: Direction, receivedMs: number, value?: unknown) {
    this.id = env.id;
    this.topic = env.topic;
    this.origin = env.origin;
    this.dir = dir;
    this.raw = env.payload;
    this.contentType = env.contentType;
    if (env.correlationId) this.correlationId = env.correlationId;
    if (env.causationId) this.causationId = env.causationId;
    if (env.traceparent) this.traceparent = env.traceparent;
    this.metadata = env.metadata;
    this.timeMs = env.timeUnixMs;
    this.receivedMs = receivedMs;
    if (env.namespace) this.namespace = env.namespace;
    if (env.edgeId) this.edgeId = env.edgeId;
    if (value !== undefined) {
      this.parsed = value;
      this.isParsed = true;
    }
  }

  /** When the origin published it (a new Date each read: the event itself stays immutable). */
  get timestamp(): Date {
    return new Date(this.timeMs);
  }

  /** When this node received it. */
  get receivedAt(): Date {
    return new Date(this.receivedMs);
  }

  get payload(): unknown {
    if (!this.isParsed) {
      this.isParsed = true;
      this.parsed =
        this.contentType === CONTENT_TYPE_JSON && this.raw.length > 0
          ? JSON.parse(Buffer.from(this.raw.buffer, this.raw.byteOffset, this.raw.byteLength).toString('utf8'))
          : this.raw;
    }
    return this.parsed;
  }

  toJSON(): Record<string, unknown> {
    return {
      id: this.id,
      topic: this.topic,
      origin: this.origin,
      dir: this.dir,
      payload: this.payload,
      correlationId: this.correlationId,
      causationId: this.causationId,
      metadata: this.metadata,
      timestamp: this.timestamp,
      receivedAt: this.receivedAt,
      namespace: this.namespace,
      edgeId: this.edgeId,
    };
  }
}
