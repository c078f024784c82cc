/**
 * The body of an edge's heartbeat on `hs.hb.<ns>.<edge>` (JSON). The control plane takes the edge's identity
 * from the subject, which NATS permissions confine; `namespace` and `edgeId` in the body must agree with it.
 */
export interface HeartbeatBody {
  /** The edge runtime's version (the `@hubspoke/edge-node` package). */
  version: string;
  namespace: string;
  edgeId: string;
  /** What the edge says of itself; informative only: the control plane judges state from missed heartbeats. */
  health: 'ok' | 'degraded';
  /** The highest config store revision the edge has applied (0 before any); a rejected one does not count. */
  appliedRevision: number;
  /** The digest of the config records the edge holds (see configDigest); the control plane compares it with its own. */
  configDigest?: string;
  /** Payloads accepted and not yet acknowledged by the hub. */
  outboxDepth: number;
  /** Reconnects to NATS since the edge started. */
  reconnects: number;
  /** The interval the edge promises; the control plane judges staleness against it. */
  heartbeatMs: number;
  /** Unix ms at the edge when sent. */
  time: number;
  /** True on the last heartbeat of a clean close: the edge is offline at once. */
  leaving?: boolean;
  /** The edge's latest error worth an operator's attention (a rejected config, later). */
  lastError?: string;
}

const MIN_HB = 100;
const MAX_HB = 60_000;

function count(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** Decodes and checks a heartbeat body; returns a reason string when it is malformed. */
export function parseHeartbeat(data: Uint8Array): HeartbeatBody | string {
  let b: Record<string, unknown>;
  try {
    b = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8')) as Record<
      string,
      unknown
    >;
  } catch {
    return 'not JSON';
  }
  if (typeof b !== 'object' || b === null || Array.isArray(b)) return 'not a JSON object';
  if (typeof b['version'] !== 'string' || b['version'].length > 64)
    return 'version: not a string of at most 64 characters';
  if (typeof b['namespace'] !== 'string' || typeof b['edgeId'] !== 'string')
    return 'namespace and edgeId: strings required';
  if (b['health'] !== 'ok' && b['health'] !== 'degraded') return 'health: must be ok or degraded';
  for (const k of ['appliedRevision', 'outboxDepth', 'reconnects', 'time'] as const) {
    if (!count(b[k])) return `${k}: not a non-negative integer`;
  }
  const hb = b['heartbeatMs'];
  if (!count(hb) || hb < MIN_HB || hb > MAX_HB) return `heartbeatMs: not an integer from ${MIN_HB} to ${MAX_HB}`;
  if (b['leaving'] !== undefined && typeof b['leaving'] !== 'boolean') return 'leaving: not a boolean';
  if (b['configDigest'] !== undefined && (typeof b['configDigest'] !== 'string' || b['configDigest'].length > 64)) {
    return 'configDigest: not a string of at most 64 characters';
  }
  if (b['lastError'] !== undefined && (typeof b['lastError'] !== 'string' || b['lastError'].length > 1024)) {
    return 'lastError: not a string of at most 1024 characters';
  }
  return b as unknown as HeartbeatBody;
}

/** Encodes a heartbeat body. */
export function encodeHeartbeat(b: HeartbeatBody): Uint8Array {
  return Buffer.from(JSON.stringify(b));
}
