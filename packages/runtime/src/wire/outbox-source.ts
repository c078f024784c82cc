import { createHash } from 'node:crypto';

/**
 * The hub sourcing an edge's outbox (docs/payloads.md "Sourced outboxes"): names and the one header that carry an
 * edge's identity and outbox position when `HS_PAYLOADS` takes the outbox by JetStream sourcing instead of the
 * edge's forwarder.
 */

/** Outbox streams are named `HS_OUTBOX_<id>`: the id is the outbox's epoch, so a new outbox is a new source. */
export const OUTBOX_STREAM_PREFIX = 'HS_OUTBOX_';
const OUTBOX_ID = /^[0-9a-f]{32}$/;

/** The header nats-server 2.9 sets on a sourced message (and overwrites when one came along): `<iname> <seq>`. */
export const STREAM_SOURCE_HEADER = 'Nats-Stream-Source';

/** The outbox stream named by its id (32 hex digits). */
export function outboxStreamName(id: string): string {
  return `${OUTBOX_STREAM_PREFIX}${id}`;
}

/** The id of an outbox stream's name, or undefined when the name is not one. */
export function outboxIdOf(stream: string): string | undefined {
  if (!stream.startsWith(OUTBOX_STREAM_PREFIX)) return undefined;
  const id = stream.slice(OUTBOX_STREAM_PREFIX.length);
  return OUTBOX_ID.test(id) ? id : undefined;
}

/** The JetStream domain of an edge's leaf, the only one the hub sources that edge's outbox from. */
export function edgeDomain(edgeId: string): string {
  return `edge-${edgeId}`;
}

/** The JetStream API prefix of an edge's leaf, as seen from the hub. */
export function sourceApi(edgeId: string): string {
  return `$JS.${edgeDomain(edgeId)}.API`;
}

const DIGITS = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** nats-server's `getHash`: the first 8 bytes of SHA-256, each as a base-62 digit. */
function serverHash(s: string): string {
  const b = createHash('sha256').update(s).digest();
  let out = '';
  for (let i = 0; i < 8; i++) out += DIGITS[(b[i] as number) % 62];
  return out;
}

const tags = new Map<string, string>();

/** The part of the source header after `<stream>:` that names an edge's leaf (a hash of its API prefix). */
export function sourceTag(edgeId: string): string {
  let tag = tags.get(edgeId);
  if (tag === undefined) {
    if (tags.size >= 10_000) tags.clear();
    tag = serverHash(sourceApi(edgeId));
    tags.set(edgeId, tag);
  }
  return tag;
}

/** Where a sourced payload came from: the outbox id (epoch) and its sequence there. */
export interface SourcedPosition {
  epoch: string;
  seq: number;
}

/**
 * Reads the source header of a message stored for `edgeId`. It must name an outbox stream in that edge's leaf (the
 * hub sets the header; only the edge's leaf may deliver to that edge's source): anything else is an error message.
 */
export function sourcedPosition(edgeId: string, header: string | undefined): SourcedPosition | string {
  if (header === undefined || header === '') return 'it carries no source header';
  const space = header.lastIndexOf(' ');
  const iname = space > 0 ? header.slice(0, space) : header;
  const seq = Number(header.slice(space + 1));
  const colon = iname.lastIndexOf(':');
  const epoch = colon > 0 ? outboxIdOf(iname.slice(0, colon)) : undefined;
  if (epoch === undefined || !Number.isSafeInteger(seq) || seq < 1) {
    return `its source header ${JSON.stringify(header.slice(0, 120))} is not an edge outbox's`;
  }
  if (iname.slice(colon + 1) !== sourceTag(edgeId)) {
    return `it was sourced from another leaf than edge ${edgeId}'s (${JSON.stringify(iname.slice(0, 80))})`;
  }
  return { epoch, seq };
}

/** The request an edge sends on `hs.req.<ns>.<edge>.outbox`. */
export interface OutboxSourceRequest {
  /** Its outbox stream (`HS_OUTBOX_<id>`). */
  stream: string;
  /** Its leaf's JetStream domain (must be `edge-<edge>` to be sourced). */
  domain: string;
  /** Only ask whether this control plane sources outboxes; change nothing. */
  probe?: boolean;
  /** How far the edge knows the hub has its outbox already. */
  stored?: number;
}

/** The control plane's answer. */
export type OutboxSourceReply =
  | {
      sourced: true;
      /** Every payload of this outbox up to this sequence is stored at the hub (0: none yet). */
      stored: number;
    }
  | { sourced: false; reason: string };
