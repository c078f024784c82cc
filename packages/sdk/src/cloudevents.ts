import { Buffer } from 'node:buffer';
import { Direction } from './direction.js';
import { CONTENT_TYPE_JSON, type Envelope } from './envelope.js';
import { ErrorCode, HubspokeError } from './errors.js';

/** A CloudEvents 1.0 event in structured JSON form, with hubspoke's extension attributes. */
export interface CloudEvent {
  specversion: '1.0';
  id: string;
  /** The origin, `plugin:<name>@<nodeId>`. */
  source: string;
  /** The topic. */
  type: string;
  time?: string;
  datacontenttype?: string;
  /** The payload, for JSON content. */
  data?: unknown;
  /** The payload, base64, for any other content. */
  data_base64?: string;
  correlationid?: string;
  causationid?: string;
  traceparent?: string;
  /** `local`, `up` or `down`. */
  hsdirection?: string;
  hsnamespace?: string;
  hsedgeid?: string;
  /** The envelope's metadata map, as a JSON object string (metadata keys need not be valid attribute names). */
  hsmetadata?: string;
}

const DIRS = ['local', 'up', 'down'] as const;

/** Maps an envelope onto a CloudEvent; {@link fromCloudEvent} gives it back unchanged. */
export function toCloudEvent(env: Envelope): CloudEvent {
  const ce: CloudEvent = { specversion: '1.0', id: env.id, source: env.origin, type: env.topic };
  if (env.timeUnixMs) ce.time = new Date(env.timeUnixMs).toISOString();
  if (env.contentType) ce.datacontenttype = env.contentType;
  if (env.payload.length) {
    if (env.contentType === CONTENT_TYPE_JSON) ce.data = JSON.parse(Buffer.from(env.payload).toString('utf8'));
    else ce.data_base64 = Buffer.from(env.payload).toString('base64');
  }
  if (env.correlationId) ce.correlationid = env.correlationId;
  if (env.causationId) ce.causationid = env.causationId;
  if (env.traceparent) ce.traceparent = env.traceparent;
  ce.hsdirection = DIRS[env.direction];
  if (env.namespace) ce.hsnamespace = env.namespace;
  if (env.edgeId) ce.hsedgeid = env.edgeId;
  if (Object.keys(env.metadata).length) ce.hsmetadata = JSON.stringify(env.metadata);
  return ce;
}

function bad(why: string): HubspokeError {
  return new HubspokeError(ErrorCode.EnvelopeMalformed, `CloudEvent cannot be mapped: ${why}`);
}

/** Maps a CloudEvent (structured JSON form) onto an envelope. */
export function fromCloudEvent(ce: CloudEvent): Envelope {
  if (ce.specversion !== '1.0') throw bad(`specversion ${JSON.stringify(ce.specversion)} is not "1.0"`);
  if (!ce.id) throw bad('id is missing');
  let timeUnixMs = 0;
  if (ce.time) {
    timeUnixMs = Date.parse(ce.time);
    if (Number.isNaN(timeUnixMs)) throw bad(`time ${JSON.stringify(ce.time)} is not an RFC 3339 timestamp`);
  }
  const dir = ce.hsdirection === undefined ? 0 : DIRS.indexOf(ce.hsdirection as (typeof DIRS)[number]);
  if (dir < 0) throw bad(`hsdirection ${JSON.stringify(ce.hsdirection)} is not local, up or down`);
  let payload = new Uint8Array(0);
  if (ce.data_base64 !== undefined) payload = Buffer.from(ce.data_base64, 'base64');
  else if (ce.data !== undefined) payload = Buffer.from(JSON.stringify(ce.data));
  let metadata: Record<string, string> = {};
  if (ce.hsmetadata) {
    try {
      metadata = JSON.parse(ce.hsmetadata) as Record<string, string>;
    } catch (cause) {
      throw new HubspokeError(ErrorCode.EnvelopeMalformed, 'CloudEvent hsmetadata is not a JSON object', { cause });
    }
  }
  return {
    id: ce.id,
    topic: ce.type ?? '',
    direction: dir as Direction,
    origin: ce.source ?? '',
    namespace: ce.hsnamespace ?? '',
    edgeId: ce.hsedgeid ?? '',
    correlationId: ce.correlationid ?? '',
    causationId: ce.causationid ?? '',
    timeUnixMs,
    metadata,
    traceparent: ce.traceparent ?? '',
    contentType: ce.datacontenttype ?? (ce.data !== undefined ? CONTENT_TYPE_JSON : ''),
    payload,
  };
}

export { Direction };
