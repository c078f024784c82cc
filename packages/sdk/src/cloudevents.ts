import { Buffer } from 'node:buffer';
import { Direction } from './direction.js';
import { CONTENT_TYPE_JSON, type Envelope } from './envelope.js';
import { ErrorCode, HubspokeError } from './errors.js';
import type { Event } from './events.js';

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

/** RFC 3339 date-time, as CloudEvents `time` requires. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** CloudEvents: data of these content types (or none) is a JSON value; of any other, a string is the text itself. */
function isJsonContentType(ct: string | undefined): boolean {
  return ct === undefined || /^(application|text)\/([^;\s]*\+)?json\s*(;.*)?$/i.test(ct);
}

/** The payload as a JSON value when it is exactly the JSON text of that value (so it maps back byte for byte). */
function jsonData(payload: Uint8Array): { value: unknown } | undefined {
  const text = Buffer.from(payload).toString('utf8');
  try {
    const value: unknown = JSON.parse(text);
    return JSON.stringify(value) === text ? { value } : undefined;
  } catch {
    return undefined;
  }
}

/** The envelope an event was carried in (its direction as the subscriber saw it). */
export function eventToEnvelope(ev: Event): Envelope {
  return {
    id: ev.id,
    topic: ev.topic,
    direction: ev.dir,
    origin: ev.origin,
    namespace: ev.namespace ?? '',
    edgeId: ev.edgeId ?? '',
    correlationId: ev.correlationId ?? '',
    causationId: ev.causationId ?? '',
    timeUnixMs: ev.timestamp.getTime(),
    metadata: { ...ev.metadata },
    traceparent: ev.traceparent ?? '',
    contentType: ev.contentType,
    payload: ev.raw,
  };
}

/** Maps an envelope (or an event) onto a CloudEvent; {@link fromCloudEvent} gives the envelope back unchanged. */
export function toCloudEvent(source: Envelope | Event): CloudEvent {
  const env = 'dir' in source ? eventToEnvelope(source) : source;
  const ce: CloudEvent = { specversion: '1.0', id: env.id, source: env.origin, type: env.topic };
  if (env.timeUnixMs) {
    const time = new Date(env.timeUnixMs);
    // RFC 3339 has four-digit years: beyond 9999, toISOString() gives "+010000-…", which nothing reads back.
    if (!(time.getUTCFullYear() <= 9999)) {
      throw bad(`time_unix_ms ${env.timeUnixMs} is outside the range of an RFC 3339 timestamp`);
    }
    ce.time = time.toISOString();
  }
  if (env.contentType) ce.datacontenttype = env.contentType;
  if (env.payload.length) {
    // JSON that would not come back byte for byte (invalid, not canonical, numbers beyond a double) goes as base64.
    const json = env.contentType === CONTENT_TYPE_JSON ? jsonData(env.payload) : undefined;
    if (json) ce.data = json.value;
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
    timeUnixMs = typeof ce.time === 'string' && RFC3339.test(ce.time) ? Date.parse(ce.time) : Number.NaN;
    if (Number.isNaN(timeUnixMs)) throw bad(`time ${JSON.stringify(ce.time)} is not an RFC 3339 timestamp`);
  }
  const dir = ce.hsdirection === undefined ? 0 : DIRS.indexOf(ce.hsdirection as (typeof DIRS)[number]);
  if (dir < 0) throw bad(`hsdirection ${JSON.stringify(ce.hsdirection)} is not local, up or down`);
  let payload = new Uint8Array(0);
  if (ce.data_base64 !== undefined) {
    if (typeof ce.data_base64 !== 'string' || ce.data_base64.length % 4 !== 0 || !BASE64.test(ce.data_base64)) {
      throw bad('data_base64 is not base64');
    }
    payload = Buffer.from(ce.data_base64, 'base64');
  } else if (ce.data !== undefined) {
    payload =
      typeof ce.data === 'string' && !isJsonContentType(ce.datacontenttype)
        ? Buffer.from(ce.data, 'utf8')
        : Buffer.from(JSON.stringify(ce.data));
  }
  let metadata: Record<string, string> = {};
  if (ce.hsmetadata) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(ce.hsmetadata);
    } catch (cause) {
      throw new HubspokeError(ErrorCode.EnvelopeMalformed, 'CloudEvent hsmetadata is not a JSON object', { cause });
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw bad('hsmetadata is not a JSON object');
    }
    for (const [k, v] of Object.entries(parsed)) {
      if (typeof v !== 'string') throw bad(`hsmetadata ${JSON.stringify(k)} is not a string`);
    }
    metadata = parsed as Record<string, string>;
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
