import { CONTENT_TYPE_JSON } from '../envelope.js';
import type { Direction } from '../direction.js';
import type { Event } from '../events.js';
import type { EdgePayload } from '../plugin.js';
import type { WireEnvelope } from './wire.js';

const bytes = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** An event delivered to a plugin process, as its handlers see it (the same shape as in process). */
export function wireEvent(env: WireEnvelope, receivedUnixMs: number): Event {
  const raw = bytes(env.payload);
  let parsed: unknown;
  let isParsed = false;
  return {
    id: env.id,
    topic: env.topic,
    origin: env.origin,
    dir: env.direction as Direction,
    raw,
    contentType: env.contentType,
    ...(env.correlationId ? { correlationId: env.correlationId } : {}),
    ...(env.causationId ? { causationId: env.causationId } : {}),
    ...(env.traceparent ? { traceparent: env.traceparent } : {}),
    metadata: env.metadata,
    timestamp: new Date(env.timeUnixMs),
    receivedAt: new Date(receivedUnixMs),
    ...(env.namespace ? { namespace: env.namespace } : {}),
    ...(env.edgeId ? { edgeId: env.edgeId } : {}),
    get payload(): unknown {
      if (!isParsed) {
        isParsed = true;
        parsed =
          env.contentType === CONTENT_TYPE_JSON && raw.length > 0 ? JSON.parse(Buffer.from(raw).toString('utf8')) : raw;
      }
      return parsed;
    },
  };
}

/** An edge payload offered to a plugin process. */
export function wirePayload(env: WireEnvelope, deliveryCount: number, receivedUnixMs: number): EdgePayload {
  return {
    id: env.id,
    payload: bytes(env.payload),
    edgeId: env.edgeId,
    edgeNamespace: env.namespace,
    ...(env.correlationId ? { correlationId: env.correlationId } : {}),
    metadata: env.metadata,
    edgeTimestamp: new Date(env.timeUnixMs),
    receivedTimestamp: new Date(receivedUnixMs),
    deliveryCount,
    ...(env.replayOf ? { replay: { of: env.replayOf, at: new Date(env.replayAtUnixMs ?? 0) } } : {}),
  };
}
