// The messages of proto/hubspoke/v1/plugin.proto as grpc-js hands them over (proto-loader objects: camelCase,
// defaults filled in, bytes as Buffer, 64-bit integers as numbers). Only the fields hubspoke reads or writes.
import type { Direction } from '../direction.js';
import type { Envelope } from '../envelope.js';
import type { EdgeInfo } from '../services.js';

export interface WireSchedule {
  id: string;
  cron: string;
  timeoutMs: number;
}

export interface WireManifest {
  name: string;
  version: string;
  description: string;
  hasManifest: boolean;
  scopes: string[];
  schedules: WireSchedule[];
  configSchemaJson: string;
  capabilities: string[];
  protocol: number;
  /** Gateway hooks by SDK method name (older plugins: absent). */
  gatewayHooks?: string[];
  /** `getEndpoints()` as JSON; empty when none. */
  gatewayEndpointsJson?: string;
  /** `EdgePayloadReceiver.payloadTypes` (older plugins: absent, meaning unset). */
  payloadTypes?: string[];
}

/** The optional capabilities a plugin can declare (`Manifest.capabilities`). */
export const CAPABILITY = {
  session: 'session',
  sessionClosing: 'session_closing',
  edgePayloadReceiver: 'edge_payload_receiver',
  scheduler: 'scheduler',
  configChange: 'config_change',
  objectHook: 'object_hook',
  eventBatch: 'event_batch',
  ui: 'ui',
} as const;

export interface WireInitialize {
  pluginName: string;
  runtime: string;
  nodeId: string;
  namespace: string;
  configJson: string;
  hostAddress: string;
  start: number;
}

/** An envelope as protobuf carries it (direction as the enum number). */
export type WireEnvelope = Omit<Envelope, 'direction'> & { direction: Direction | number };

export interface WireEventDelivery {
  subscriptionId: string;
  event: WireEnvelope;
  receivedUnixMs: number;
  sequence: number;
}

export interface WirePayloadDelivery {
  payload: WireEnvelope;
  deliveryCount: number;
  receivedUnixMs: number;
}

export interface WireScheduledTask {
  schedule: WireSchedule;
  tickUnixMs: number;
}

export interface WireConfigChange {
  key: string;
  valueJson: string;
  revision: number;
  deleted: boolean;
}

export interface WireObjectChange {
  operation: string;
  key: string;
  namespace: string;
  hasValue: boolean;
  valueJson: string;
}

export interface WireObjectChangeReply {
  allow: boolean;
  hasValue: boolean;
  valueJson: string;
  reason: string;
}

export interface WireRegister {
  address: string;
  protocol: number;
  pid: number;
}

export interface WirePublish {
  topic: string;
  direction: number;
  payload: Uint8Array;
  contentType: string;
  correlationId: string;
  causationId: string;
  metadata: Record<string, string>;
  namespace: string;
  edgeId: string;
  traceparent: string;
  durable: boolean;
  hasNamespace: boolean;
  hasEdgeId: boolean;
}

export interface WireSubscribe {
  pattern: string;
  queueSize: number;
  all: boolean;
}

export interface WireKvPut {
  key: string;
  value: Uint8Array;
  hasTtl: boolean;
  ttlMs: number;
}

export interface WireLog {
  level: string;
  message: string;
  fieldsJson: string;
  eventId: string;
  correlationId: string;
}

export interface WireSendToControl {
  payload: Uint8Array;
  json: boolean;
  correlationId: string;
  metadata: Record<string, string>;
}

export interface WireConfigKey {
  key: string;
  namespace: string;
  hasNamespace: boolean;
}

export interface WireConfigEntry {
  key: string;
  valueJson: string;
  revision: number;
}

export interface WireConfigPut {
  key: string;
  valueJson: string;
  namespace: string;
  hasNamespace: boolean;
}

export interface WireConfigList {
  namespace: string;
  hasNamespace: boolean;
  prefix: string;
}

export interface WireEdgeInfo {
  edgeId: string;
  namespace: string;
  state: string;
  firstSeenUnixMs: number;
  lastSeenUnixMs: number;
  version: string;
  appliedRevision: number;
  latestRevision: number;
  outboxDepth: number;
  reconnects: number;
  lastError: string;
}

/** An EdgeInfo as the `hubspoke.v1.EdgeInfo` message carries it (admin API and plugin Host service alike). */
export function edgeInfoToWire(e: EdgeInfo): WireEdgeInfo {
  return {
    edgeId: e.edgeId,
    namespace: e.namespace,
    state: e.state,
    firstSeenUnixMs: e.firstSeen.getTime(),
    lastSeenUnixMs: e.lastSeen.getTime(),
    version: e.version,
    appliedRevision: e.appliedRevision,
    latestRevision: e.latestRevision,
    outboxDepth: e.outboxDepth,
    reconnects: e.reconnects,
    lastError: e.lastError ?? '',
  };
}

/** JSON text of a value, `''` for undefined (absent). */
export function toJson(v: unknown): string {
  return v === undefined ? '' : JSON.stringify(v);
}

/** The value of JSON text, undefined for `''`. */
export function fromJson(s: string): unknown {
  return s === '' ? undefined : JSON.parse(s);
}
