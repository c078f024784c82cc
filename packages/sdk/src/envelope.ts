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
  /** Edge payloads: the position in the edge's outbox (1, 2, …); absent for a direct edge. */
  sequence?: number;
  /** Names the store the sequence counts in: the edge's outbox (payloads), HS_DOWN's store id (durable Down). */
  sequenceEpoch?: string;
  /** A replayed payload: the original's id. */
  replayOf?: string;
  /** A replayed payload: when it was replayed. */
  replayAtUnixMs?: number;
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
const T_SEQUENCE = 0x70;
const T_SEQUENCE_EPOCH = 0x7a;
const T_REPLAY_OF = 0x82; // field 16: the tag takes two bytes, 0x82 0x01
const T_REPLAY_AT = 0x88; // field 17: 0x88 0x01

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

/**
 * Appends fields 14–17 (sequence, epoch, replay) to an encoded envelope. Protobuf reads a field given twice as
 * its last value, so the stored bytes need no re-encoding: the edge's forwarder stamps each payload with its
 * outbox position on the way out, and a replay marks the copy it offers.
 */
export function appendEnvelopeFields(
  encoded: Uint8Array,
  f: { sequence?: number; sequenceEpoch?: string; replayOf?: string; replayAtUnixMs?: number },
): Uint8Array {
  const epochLen = f.sequenceEpoch ? Buffer.byteLength(f.sequenceEpoch) : 0;
  const ofLen = f.replayOf ? Buffer.byteLength(f.replayOf) : 0;
  let size = encoded.length;
  if (f.sequence) size += 1 + varintSize(f.sequence);
  if (epochLen) size += fieldSize(epochLen);
  if (ofLen) size += 1 + fieldSize(ofLen);
  if (f.replayAtUnixMs) size += 2 + varintSize(f.replayAtUnixMs);
  const buf = Buffer.allocUnsafe(size);
  buf.set(encoded, 0);
  let pos = encoded.length;
  if (f.sequence) {
    buf[pos++] = T_SEQUENCE;
    pos = writeVarint(buf, pos, f.sequence);
  }
  if (epochLen) pos = writeString(buf, pos, T_SEQUENCE_EPOCH, f.sequenceEpoch as string, epochLen);
  if (ofLen) {
    buf[pos++] = T_REPLAY_OF;
    pos = writeString(buf, pos, 0x01, f.replayOf as string, ofLen);
  }
  if (f.replayAtUnixMs) {
    buf[pos++] = T_REPLAY_AT;
    buf[pos++] = 0x01;
    writeVarint(buf, pos, f.replayAtUnixMs);
  }
  return buf;
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
  1: 'id',
  2: 'topic',
  3: 'direction',
  4: 'origin',
  5: 'namespace',
  6: 'edge_id',
  7: 'correlation_id',
  8: 'causation_id',
  9: 'time_unix_ms',
  10: 'metadata',
  11: 'traceparent',
  12: 'content_type',
  13: 'payload',
  14: 'sequence',
  15: 'sequence_epoch',
  16: 'replay_of',
  17: 'replay_at_unix_ms',
};
const VARINT_FIELDS = new Set([3, 9, 14, 17]);

/**
 * Decodes and checks an envelope. Unknown fields are skipped (newer senders); anything that does not decode,
 * lacks an id (or a topic, for events), has an unknown direction or breaks the metadata limits throws
 * `HS_ERR_ENVELOPE_MALFORMED` naming the problem.
 */
export function decodeEnvelope(data: Uint8Array, opts?: DecodeOptions): Envelope {
  const limits = opts?.limits ?? DEFAULT_LIMITS;
  const c = new Cursor(data);
  const env: Envelope = {
    id: '',
    topic: '',
    direction: Direction.Local,
    origin: '',
    namespace: '',
    edgeId: '',
    correlationId: '',
    causationId: '',
    timeUnixMs: 0,
    metadata: {},
    traceparent: '',
    contentType: '',
    payload: EMPTY,
  };
  let metaCount = 0;
  while (c.pos < c.end) {
    const tag = c.varint('a field tag');
    const field = tag >>> 3;
    const wire = tag & 7;
    const name = FIELD_NAMES[field];
    if (name !== undefined && wire !== (VARINT_FIELDS.has(field) ? 0 : 2)) {
      throw malformed(`field ${name} has wire type ${wire}`);
    }
    switch (field) {
      case 1:
        env.id = c.string('id');
        break;
      case 2:
        env.topic = c.interned('topic', 2);
        break;
      case 3: {
        const d = c.varint('direction');
        if (d !== 0 && d !== 1 && d !== 2) throw malformed(`direction ${d} is not 0 (local), 1 (up) or 2 (down)`);
        env.direction = d;
        break;
      }
      case 4:
        env.origin = c.interned('origin', 4);
        break;
      case 5:
        env.namespace = c.interned('namespace', 5);
        break;
      case 6:
        env.edgeId = c.interned('edge_id', 6);
        break;
      case 7:
        env.correlationId = c.string('correlation_id');
        break;
      case 8:
        env.causationId = c.string('causation_id');
        break;
      case 9:
        env.timeUnixMs = c.varint('time_unix_ms');
        break;
      case 10: {
        const e = c.len('metadata');
        if (++metaCount > limits.maxMetadataEntries) {
          throw malformed(`metadata has more than ${limits.maxMetadataEntries} entries`);
        }
        let k = '';
        let v = '';
        while (c.pos < e) {
          const t = c.varint('a metadata tag');
          if (t === 0x0a) k = c.string('a metadata key');
          else if (t === 0x12) v = c.string('a metadata value');
          else throw malformed(`metadata entry has unexpected tag ${t}`);
        }
        if (c.pos !== e) throw malformed('metadata entry overruns its length');
        if (k.length > limits.maxMetadataKeyBytes / 3 && Buffer.byteLength(k) > limits.maxMetadataKeyBytes) {
          throw malformed(
            `metadata key ${JSON.stringify(k.slice(0, 32))}… is longer than ${limits.maxMetadataKeyBytes} bytes`,
          );
        }
        if (v.length > limits.maxMetadataValueBytes / 3 && Buffer.byteLength(v) > limits.maxMetadataValueBytes) {
          throw malformed(
            `metadata value of ${JSON.stringify(k)} is longer than ${limits.maxMetadataValueBytes} bytes`,
          );
        }
        // An own "__proto__" entry must stay an entry, not become the object's prototype.
        if (k === '__proto__') {
          Object.defineProperty(env.metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
        } else env.metadata[k] = v;
        break;
      }
      case 11:
        env.traceparent = c.string('traceparent');
        break;
      case 12:
        env.contentType = c.interned('content_type', 12);
        break;
      case 13: {
        const e = c.len('payload');
        const s = c.pos;
        c.pos = e;
        if (e - s > limits.maxPayloadBytes)
          throw malformed(`payload of ${e - s} bytes is above ${limits.maxPayloadBytes}`);
        env.payload = data.subarray(s, e);
        break;
      }
      case 14:
        env.sequence = c.varint('sequence');
        break;
      case 15:
        env.sequenceEpoch = c.interned('sequence_epoch', 15);
        break;
      case 16:
        env.replayOf = c.string('replay_of');
        break;
      case 17:
        env.replayAtUnixMs = c.varint('replay_at_unix_ms');
        break;
      default: {
        const unknown = `unknown field ${field}`;
        if (wire === 0) c.skipVarint(unknown);
        else if (wire === 2) c.skipLen(unknown);
        else if (wire === 1 || wire === 5) {
          const n = wire === 1 ? 8 : 4;
          if (c.end - c.pos < n) throw malformed(`truncated inside ${unknown}`);
          c.pos += n;
        } else throw malformed(`${unknown} has unsupported wire type ${wire}`);
      }
    }
  }
  if (!env.id) throw malformed('id is missing');
  if ((opts?.kind ?? 'event') === 'event' && !env.topic) throw malformed('topic is missing');
  return env;
}

const INTERNED = new Map<number, string>();
const MAX_INTERNED = 4096;
/** The last string each interned field decoded to: a stream of one topic from one origin matches it at once. */
const LAST: string[] = [];

/** True when the bytes `s`..`e` of `b` are exactly the one-byte characters of `str`. */
function sameAscii(str: string, b: Uint8Array, s: number, e: number): boolean {
  if (str.length !== e - s) return false;
  for (let i = 0; i < str.length; i++) if (str.charCodeAt(i) !== b[s + i]) return false;
  return true;
}

/** Reads protobuf primitives from a buffer; one per message, no closures (this is the receive hot path). */
class Cursor {
  pos = 0;
  readonly end: number;
  private readonly b: Uint8Array;
  private buf: Buffer | undefined;

  constructor(b: Uint8Array) {
    this.b = b;
    this.end = b.length;
  }

  varint(field: string): number {
    const b = this.b;
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw malformed(`truncated inside ${field} at byte ${this.pos}`);
      const byte = b[this.pos++] as number;
      result += (byte & 0x7f) * mul;
      if (byte < 0x80) {
        if (result > Number.MAX_SAFE_INTEGER) throw malformed(`${field} is out of range`);
        return result;
      }
      mul *= 128;
    }
    throw malformed(`varint of ${field} is longer than 10 bytes`);
  }

  /** Unknown varint fields may hold any 64-bit value (a future int64, a negative int32): skipped unchecked. */
  skipVarint(field: string): void {
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw malformed(`truncated inside ${field} at byte ${this.pos}`);
      if ((this.b[this.pos++] as number) < 0x80) return;
    }
    throw malformed(`varint of ${field} is longer than 10 bytes`);
  }

  /** Reads a length prefix and returns where the field ends; the cursor stays at its start. */
  len(field: string): number {
    const n = this.varint(field);
    if (n > this.end - this.pos)
      throw malformed(`truncated: ${field} claims ${n} bytes, ${this.end - this.pos} remain`);
    return this.pos + n;
  }

  /** Skips a length-delimited field; returns where it ends. */
  skipLen(field: string): number {
    this.pos = this.len(field);
    return this.pos;
  }

  string(field: string): string {
    const e = this.len(field);
    const s = this.pos;
    this.pos = e;
    return this.utf8(s, e);
  }

  /**
   * Reads a string that repeats from message to message (topic, origin, namespace, edge id, content type):
   * a short one is looked up by a hash of its bytes and, when the bytes match, the string already made is
   * returned, so the hot path allocates nothing for it.
   */
  interned(field: string, slot: number): string {
    const e = this.len(field);
    const s = this.pos;
    this.pos = e;
    const n = e - s;
    if (n === 0) return '';
    if (n > 64) return this.utf8(s, e);
    const b = this.b;
    const last = LAST[slot];
    if (last !== undefined && sameAscii(last, b, s, e)) return last;
    let h = n;
    for (let i = s; i < e; i++) h = (Math.imul(h, 31) + (b[i] as number)) | 0;
    const hit = INTERNED.get(h);
    if (hit !== undefined && sameAscii(hit, b, s, e)) {
      LAST[slot] = hit;
      return hit;
    }
    const str = this.utf8(s, e);
    if (str.length === n) {
      // ASCII only (one byte per character), so the byte comparisons above can match it next time.
      if (INTERNED.size >= MAX_INTERNED) INTERNED.clear();
      INTERNED.set(h, str);
      LAST[slot] = str;
    }
    return str;
  }

  private utf8(s: number, e: number): string {
    // nats.js hands over Buffers: use it as is rather than wrapping it in another one per message.
    this.buf ??= Buffer.isBuffer(this.b) ? this.b : Buffer.from(this.b.buffer, this.b.byteOffset, this.b.byteLength);
    return this.buf.toString('utf8', s, e);
  }
}

const EMPTY = new Uint8Array(0);
