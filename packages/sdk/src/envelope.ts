import { Buffer } from 'node:buffer';
import { Direction } from './direction.js';
import { ErrorCode, HubspokeError } from './errors.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';

/**
 * The `hubspoke.v1.Envelope` message (proto/hubspoke/v1/envelope.proto), the body of every fabric message.
 * Absent strings are `''`, as in proto3.
 */
export interface Envelope {
  id: string;
  topic: string;
  direction: Direction;
  origin: string;
  namespace: string;
  edgeId: string;
  correlationId: string;
  causationId: string;
  timeUnixMs: number;
  metadata: Record<string, string>;
  traceparent: string;
  contentType: string;
  payload: Uint8Array;
}

/** Content type of `publish()` payloads. */
export const CONTENT_TYPE_JSON = 'application/json';
/** Content type of `publishRaw()` payloads and edge payloads. */
export const CONTENT_TYPE_BYTES = 'application/octet-stream';

// Tags: (field number << 3) | wire type (0 varint, 2 length-delimited).
const T_ID = 0x0a;
const T_TOPIC = 0x12;
const T_DIRECTION = 0x18;
const T_ORIGIN = 0x22;
const T_NAMESPACE = 0x2a;
const T_EDGE = 0x32;
const T_CORRELATION = 0x3a;
const T_CAUSATION = 0x42;
const T_TIME = 0x48;
const T_METADATA = 0x52;
const T_TRACEPARENT = 0x5a;
const T_CONTENT_TYPE = 0x62;
const T_PAYLOAD = 0x6a;

function varintSize(n: number): number {
  let s = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    s++;
  }
  return s;
}

function writeVarint(buf: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n = Math.floor(n / 128);
  }
  buf[pos++] = n;
  return pos;
}

function fieldSize(len: number): number {
  return 1 + varintSize(len) + len;
}

function writeString(buf: Buffer, pos: number, tag: number, s: string, len: number): number {
  buf[pos++] = tag;
  pos = writeVarint(buf, pos, len);
  if (len === s.length && len < 48) {
    for (let i = 0; i < len; i++) buf[pos + i] = s.charCodeAt(i);
    return pos + len;
  }
  return pos + buf.write(s, pos, len, 'utf8');
}

function encodeConstant(fields: ReadonlyArray<readonly [number, string]>): Buffer {
  let size = 0;
  const lens = fields.map(([, s]) => Buffer.byteLength(s));
  fields.forEach(([, s], i) => {
    if (s) size += fieldSize(lens[i] as number);
  });
  const buf = Buffer.allocUnsafe(size);
  let pos = 0;
  fields.forEach(([tag, s], i) => {
    if (s) pos = writeString(buf, pos, tag, s, lens[i] as number);
  });
  return buf;
}

/** The per-message fields of an envelope; the node's constants come from the {@link EnvelopeEncoder}. */
export interface EnvelopeMessage {
  id: string;
  topic: string;
  direction: Direction;
  timeUnixMs: number;
  contentType: string;
  payload: Uint8Array;
  correlationId?: string | undefined;
  causationId?: string | undefined;
  traceparent?: string | undefined;
  metadata?: Readonly<Record<string, string>> | undefined;
  /** Overrides the encoder's namespace (DirDown targeting); `''` = all. */
  namespace?: string | undefined;
  /** Overrides the encoder's edge id (DirDown targeting); `''` = all. */
  edgeId?: string | undefined;
}

const MAX_TARGET_PREFIXES = 1024;

/**
 * Encodes envelopes for one origin. The fields that are constant for a publisher (origin, namespace, edge id,
 * content type) are encoded once and copied into each message, which is most of the speed-up over encoding
 * the whole message with protobufjs each time.
 */
export class EnvelopeEncoder {
  private readonly origin: string;
  private readonly namespace: string;
  private readonly edgeId: string;
  private readonly base: Buffer;
  private readonly targets = new Map<string, Buffer>();
  private readonly contentTypes = new Map<string, Buffer>();

  constructor(constants: { origin: string; namespace?: string; edgeId?: string }) {
    this.origin = constants.origin;
    this.namespace = constants.namespace ?? '';
    this.edgeId = constants.edgeId ?? '';
    this.base = this.prefix(this.namespace, this.edgeId);
  }

  private prefix(ns: string, edge: string): Buffer {
    return encodeConstant([
      [T_ORIGIN, this.origin],
      [T_NAMESPACE, ns],
      [T_EDGE, edge],
    ]);
  }

  private prefixFor(ns: string | undefined, edge: string | undefined): Buffer {
    if ((ns === undefined || ns === this.namespace) && (edge === undefined || edge === this.edgeId)) return this.base;
    const n = ns ?? this.namespace;
    const e = edge ?? this.edgeId;
    const key = `${n}\u0000${e}`;
    let p = this.targets.get(key);
    if (!p) {
      if (this.targets.size >= MAX_TARGET_PREFIXES) this.targets.clear();
      p = this.prefix(n, e);
      this.targets.set(key, p);
    }
    return p;
  }

  private contentTypeBytes(ct: string): Buffer {
    let b = this.contentTypes.get(ct);
    if (!b) {
      b = encodeConstant([[T_CONTENT_TYPE, ct]]);
      if (this.contentTypes.size < 16) this.contentTypes.set(ct, b);
    }
    return b;
  }

  /** Encodes one message. Inputs are assumed validated (see `validatePublish`). */
  encode(m: EnvelopeMessage): Uint8Array {
    const prefix = this.prefixFor(m.namespace, m.edgeId);
    const ct = this.contentTypeBytes(m.contentType);
    const idLen = Buffer.byteLength(m.id);
    const topicLen = Buffer.byteLength(m.topic);
    const corrLen = m.correlationId ? Buffer.byteLength(m.correlationId) : 0;
    const causLen = m.causationId ? Buffer.byteLength(m.causationId) : 0;
    const tpLen = m.traceparent ? Buffer.byteLength(m.traceparent) : 0;
    const plen = m.payload.length;
    let size = prefix.length + ct.length + fieldSize(idLen);
    if (topicLen) size += fieldSize(topicLen);
    if (m.direction) size += 2;
    if (corrLen) size += fieldSize(corrLen);
    if (causLen) size += fieldSize(causLen);
    if (m.timeUnixMs > 0) size += 1 + varintSize(m.timeUnixMs);
    if (tpLen) size += fieldSize(tpLen);
    if (plen) size += fieldSize(plen);
    let meta: number[] | undefined;
    if (m.metadata) {
      for (const k in m.metadata) {
        const kl = Buffer.byteLength(k);
        const vl = Buffer.byteLength(m.metadata[k] as string);
        const entry = fieldSize(kl) + (vl ? fieldSize(vl) : 0);
        (meta ??= []).push(kl, vl, entry);
        size += fieldSize(entry);
      }
    }
    const buf = Buffer.allocUnsafe(size);
    let pos = writeString(buf, 0, T_ID, m.id, idLen);
    if (topicLen) pos = writeString(buf, pos, T_TOPIC, m.topic, topicLen);
    if (m.direction) {
      buf[pos++] = T_DIRECTION;
      buf[pos++] = m.direction;
    }
    buf.set(prefix, pos);
    pos += prefix.length;
    if (corrLen) pos = writeString(buf, pos, T_CORRELATION, m.correlationId as string, corrLen);
    if (causLen) pos = writeString(buf, pos, T_CAUSATION, m.causationId as string, causLen);
    if (m.timeUnixMs > 0) {
      buf[pos++] = T_TIME;
      pos = writeVarint(buf, pos, m.timeUnixMs);
    }
    if (meta && m.metadata) {
      let i = 0;
      for (const k in m.metadata) {
        const kl = meta[i++] as number;
        const vl = meta[i++] as number;
        const entry = meta[i++] as number;
        buf[pos++] = T_METADATA;
        pos = writeVarint(buf, pos, entry);
        pos = writeString(buf, pos, 0x0a, k, kl);
        if (vl) pos = writeString(buf, pos, 0x12, m.metadata[k] as string, vl);
      }
    }
    if (tpLen) pos = writeString(buf, pos, T_TRACEPARENT, m.traceparent as string, tpLen);
    buf.set(ct, pos);
    pos += ct.length;
    if (plen) {
      buf[pos++] = T_PAYLOAD;
      pos = writeVarint(buf, pos, plen);
      buf.set(m.payload, pos);
    }
    return buf;
  }
}

/** Encodes a whole envelope (no constants reused): for tools, tests and one-off messages. */
export function encodeEnvelope(e: Partial<Envelope> & { id: string }): Uint8Array {
  return new EnvelopeEncoder({ origin: e.origin ?? '', namespace: e.namespace ?? '', edgeId: e.edgeId ?? '' }).encode({
    id: e.id,
    topic: e.topic ?? '',
    direction: e.direction ?? Direction.Local,
    timeUnixMs: e.timeUnixMs ?? 0,
    contentType: e.contentType ?? '',
    payload: e.payload ?? new Uint8Array(0),
    correlationId: e.correlationId,
    causationId: e.causationId,
    traceparent: e.traceparent,
    metadata: e.metadata,
  });
}

/** Options of {@link decodeEnvelope}. */
export interface DecodeOptions {
  /** `event` requires a topic; `payload` does not. @default 'event' */
  kind?: 'event' | 'payload';
  limits?: Readonly<Limits>;
}

function malformed(why: string): HubspokeError {
  return new HubspokeError(ErrorCode.EnvelopeMalformed, `envelope does not decode: ${why}`);
}

const FIELD_NAMES: Record<number, string> = {
  1: 'id', 2: 'topic', 3: 'direction', 4: 'origin', 5: 'namespace', 6: 'edge_id', 7: 'correlation_id',
  8: 'causation_id', 9: 'time_unix_ms', 10: 'metadata', 11: 'traceparent', 12: 'content_type', 13: 'payload',
};

/**
 * Decodes and checks an envelope. Unknown fields are skipped (newer senders); anything that does not decode,
 * lacks an id (or a topic, for events), has an unknown direction or breaks the metadata limits throws
 * `HS_ERR_ENVELOPE_MALFORMED` naming the problem.
 */
export function decodeEnvelope(data: Uint8Array, opts?: DecodeOptions): Envelope {
  const limits = opts?.limits ?? DEFAULT_LIMITS;
  const b = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const end = b.length;
  let pos = 0;
  const readVarint = (field: string): number => {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) throw malformed(`truncated inside ${field} at byte ${pos}`);
      const byte = b[pos++] as number;
      result += (byte & 0x7f) * mul;
      if (byte < 0x80) {
        if (result > Number.MAX_SAFE_INTEGER) throw malformed(`${field} is out of range`);
        return result;
      }
      mul *= 128;
    }
    throw malformed(`varint of ${field} is longer than 10 bytes`);
  };
  // Unknown varint fields may hold any 64-bit value (a future int64, a negative int32): skip them unchecked.
  const skipVarint = (field: string): void => {
    for (let i = 0; i < 10; i++) {
      if (pos >= end) throw malformed(`truncated inside ${field} at byte ${pos}`);
      if ((b[pos++] as number) < 0x80) return;
    }
    throw malformed(`varint of ${field} is longer than 10 bytes`);
  };
  const readLen = (field: string): [number, number] => {
    const len = readVarint(field);
    const start = pos;
    if (len > end - pos) throw malformed(`truncated: ${field} claims ${len} bytes, ${end - pos} remain`);
    pos += len;
    return [start, pos];
  };
  const readString = (field: string): string => {
    const [s, e] = readLen(field);
    return b.toString('utf8', s, e);
  };
  const env: Envelope = {
    id: '', topic: '', direction: Direction.Local, origin: '', namespace: '', edgeId: '', correlationId: '',
    causationId: '', timeUnixMs: 0, metadata: {}, traceparent: '', contentType: '', payload: EMPTY,
  };
  let metaCount = 0;
  while (pos < end) {
    const tag = readVarint('a field tag');
    const field = tag >>> 3;
    const wire = tag & 7;
    const name = FIELD_NAMES[field];
    if (name !== undefined && wire !== (field === 3 || field === 9 ? 0 : 2)) {
      throw malformed(`field ${name} has wire type ${wire}`);
    }
    switch (field) {
      case 1: env.id = readString(name as string); break;
      case 2: env.topic = readString(name as string); break;
      case 3: {
        const d = readVarint('direction');
        if (d !== 0 && d !== 1 && d !== 2) throw malformed(`direction ${d} is not 0 (local), 1 (up) or 2 (down)`);
        env.direction = d;
        break;
      }
      case 4: env.origin = readString(name as string); break;
      case 5: env.namespace = readString(name as string); break;
      case 6: env.edgeId = readString(name as string); break;
      case 7: env.correlationId = readString(name as string); break;
      case 8: env.causationId = readString(name as string); break;
      case 9: env.timeUnixMs = readVarint('time_unix_ms'); break;
      case 10: {
        const [s, e] = readLen('metadata');
        pos = s;
        if (++metaCount > limits.maxMetadataEntries) {
          throw malformed(`metadata has more than ${limits.maxMetadataEntries} entries`);
        }
        let k = '';
        let v = '';
        while (pos < e) {
          const t = readVarint('a metadata tag');
          if (t === 0x0a) k = readString('a metadata key');
          else if (t === 0x12) v = readString('a metadata value');
          else throw malformed(`metadata entry has unexpected tag ${t}`);
        }
        if (pos !== e) throw malformed('metadata entry overruns its length');
        if (Buffer.byteLength(k) > limits.maxMetadataKeyBytes) {
          throw malformed(`metadata key ${JSON.stringify(k.slice(0, 32))}… is longer than ${limits.maxMetadataKeyBytes} bytes`);
        }
        if (Buffer.byteLength(v) > limits.maxMetadataValueBytes) {
          throw malformed(`metadata value of ${JSON.stringify(k)} is longer than ${limits.maxMetadataValueBytes} bytes`);
        }
        // An own "__proto__" entry must stay an entry, not become the object's prototype.
        if (k === '__proto__') {
          Object.defineProperty(env.metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
        } else env.metadata[k] = v;
        break;
      }
      case 11: env.traceparent = readString(name as string); break;
      case 12: env.contentType = readString(name as string); break;
      case 13: {
        const [s, e] = readLen('payload');
        if (e - s > limits.maxPayloadBytes) throw malformed(`payload of ${e - s} bytes is above ${limits.maxPayloadBytes}`);
        env.payload = data.subarray(s, e);
        break;
      }
      default: {
        const unknown = `unknown field ${field}`;
        if (wire === 0) skipVarint(unknown);
        else if (wire === 2) readLen(unknown);
        else if (wire === 1 || wire === 5) {
          const n = wire === 1 ? 8 : 4;
          if (end - pos < n) throw malformed(`truncated inside ${unknown}`);
          pos += n;
        } else throw malformed(`${unknown} has unsupported wire type ${wire}`);
      }
    }
  }
  if (!env.id) throw malformed('id is missing');
  if ((opts?.kind ?? 'event') === 'event' && !env.topic) throw malformed('topic is missing');
  return env;
}

const EMPTY = new Uint8Array(0);
