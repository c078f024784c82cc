import type { EdgeInfo } from '@hubspoke/sdk';

/** The JetStream KV bucket of the edge registry, shared by every control-plane replica. */
export const EDGES_BUCKET = 'hs-edges';

/** What the registry keeps of an edge, under the key `<ns>.<edge>` (JSON; times in Unix ms). */
export interface EdgeRecord {
  edgeId: string;
  namespace: string;
  /** When any replica first heard from the edge; kept across control-plane restarts. */
  firstSeen: number;
  /** When a replica last received a heartbeat (the control plane's clock, never the edge's). */
  lastSeen: number;
  version: string;
  heartbeatMs: number;
  appliedRevision: number;
  outboxDepth: number;
  reconnects: number;
  lastError?: string;
  /** The last heartbeat was a clean close's farewell. */
  leaving?: boolean;
}

export type EdgeState = EdgeInfo['state'];

/** Stale after this many heartbeat intervals without one, offline after {@link OFFLINE_AFTER}. */
export const STALE_AFTER = 2.5;
export const OFFLINE_AFTER = 3.5;

/** The key of an edge in the bucket. */
export const recordKey = (namespace: string, edgeId: string): string => `${namespace}.${edgeId}`;

/** The state the control plane judges from missed heartbeats (a farewell makes it offline at once). */
export function judgeState(r: Readonly<EdgeRecord>, now: number): EdgeState {
  if (r.leaving) return 'offline';
  const age = now - r.lastSeen;
  if (age > OFFLINE_AFTER * r.heartbeatMs) return 'offline';
  if (age > STALE_AFTER * r.heartbeatMs) return 'stale';
  return 'online';
}

/** When `r`'s judged state changes next, in Unix ms (undefined once offline). */
export function nextChange(r: Readonly<EdgeRecord>, now: number): number | undefined {
  if (r.leaving) return undefined;
  for (const k of [STALE_AFTER, OFFLINE_AFTER]) {
    const t = r.lastSeen + k * r.heartbeatMs;
    if (t >= now) return t;
  }
  return undefined;
}

/** The public view of a record. */
export function toEdgeInfo(r: Readonly<EdgeRecord>, now: number, latestRevision = 0): EdgeInfo {
  return {
    edgeId: r.edgeId,
    namespace: r.namespace,
    state: judgeState(r, now),
    firstSeen: new Date(r.firstSeen),
    lastSeen: new Date(r.lastSeen),
    version: r.version,
    appliedRevision: r.appliedRevision,
    latestRevision,
    outboxDepth: r.outboxDepth,
    reconnects: r.reconnects,
    ...(r.lastError === undefined ? {} : { lastError: r.lastError }),
  };
}

export function encodeRecord(r: Readonly<EdgeRecord>): string {
  return JSON.stringify(r);
}

/** Decodes a stored record; undefined when it is not one (a foreign or damaged value is skipped, not fatal). */
export function decodeRecord(value: Uint8Array): EdgeRecord | undefined {
  try {
    const r = JSON.parse(Buffer.from(value).toString('utf8')) as EdgeRecord;
    if (typeof r?.edgeId !== 'string' || typeof r.namespace !== 'string') return undefined;
    if (typeof r.lastSeen !== 'number' || typeof r.firstSeen !== 'number' || !(r.heartbeatMs > 0)) return undefined;
    return r;
  } catch {
    return undefined;
  }
}

/** Edges listed in a stable order: namespace, then id. */
export function byNamespaceAndId(
  a: { namespace: string; edgeId: string },
  b: { namespace: string; edgeId: string },
): number {
  return a.namespace < b.namespace
    ? -1
    : a.namespace > b.namespace
      ? 1
      : a.edgeId < b.edgeId
        ? -1
        : a.edgeId > b.edgeId
          ? 1
          : 0;
}
