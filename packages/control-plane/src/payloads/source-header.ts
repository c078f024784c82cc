import { STREAM_SOURCE_HEADER } from '@hubspoke/runtime';
import type { JsMsg } from '@nats-io/jetstream';

const NEEDLE = Buffer.from(`\r\n${STREAM_SOURCE_HEADER}:`);

/** What nats.js keeps of a message: its raw bytes and where its headers end (not part of its typed API). */
interface RawMsg {
  _rdata?: Uint8Array;
  _msg?: { hdr: number };
}

/**
 * The `Nats-Stream-Source` header of a message ('' when it has none), read from its raw header bytes. nats.js
 * decodes every header of a message into a map on the first access to `headers`; this is the one header the
 * dispatcher reads of every message, and decoding them all was 9% of a control plane's time at full speed.
 * The hub writes the header with this exact name, replacing one of that name that came along, so the first one
 * is the hub's. Falls back to nats.js's decoding when its internals are not what this expects.
 */
export function streamSourceOf(m: JsMsg): string {
  const raw = (m as unknown as { msg?: RawMsg }).msg;
  const data = raw?._rdata;
  const hdr = raw?._msg?.hdr;
  if (!(data instanceof Uint8Array) || typeof hdr !== 'number' || hdr > data.length) {
    return m.headers?.get(STREAM_SOURCE_HEADER) ?? '';
  }
  if (hdr <= 0) return '';
  // A plain scan: the header block is short, and Buffer#indexOf's native call cost more than the scan itself.
  const first = NEEDLE[0] as number;
  const last = hdr - NEEDLE.length;
  outer: for (let at = 0; at <= last; at++) {
    if (data[at] !== first) continue;
    for (let j = 1; j < NEEDLE.length; j++) if (data[at + j] !== NEEDLE[j]) continue outer;
    let start = at + NEEDLE.length;
    let end = start;
    while (end < hdr && data[end] !== 13) end++;
    while (start < end && data[start] === 32) start++;
    while (end > start && data[end - 1] === 32) end--;
    return Buffer.from(data.buffer, data.byteOffset + start, end - start).toString('utf8');
  }
  return '';
}

/** The source header of a message sourced from an outbox (every one on `hs.outbox.…`), else undefined. */
export function sourceOf(m: JsMsg): string | undefined {
  const h = streamSourceOf(m);
  return h !== '' || m.subject.startsWith('hs.outbox.') ? h : undefined;
}
