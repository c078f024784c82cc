export { startNode } from './node.js';
export { parseConfig, nameSchema, serversSchema, commonOptionsShape, tlsSchema } from './config.js';
export { loadPlugins } from './host/load.js';
export { PluginHost, pluginCall, type PluginCallMap } from './host/host.js';
export { validatePluginConfig } from './host/config-schema.js';
export { LocalBus } from './events/local-bus.js';
export { Fabric } from './events/fabric.js';
export { FabricEvent } from './events/event.js';
export { PluginEvents } from './events/events-service.js';
export { compilePattern } from './events/matcher.js';
export { BoundedQueue } from './events/bounded-queue.js';
export { RecentIds } from './events/recent-ids.js';
export { ALL, WIRE_SUBJECTS, configSubjects, edgeKeyOf, parseEventSubject, subjects } from './wire/subjects.js';
export {
  OUTBOX_STREAM_PREFIX,
  STREAM_SOURCE_HEADER,
  edgeDomain,
  outboxIdOf,
  outboxStreamName,
  sourceApi,
  sourceTag,
  sourcedPosition,
} from './wire/outbox-source.js';
export type { OutboxSourceReply, OutboxSourceRequest, SourcedPosition } from './wire/outbox-source.js';
export { encodeHeartbeat, parseHeartbeat } from './events/heartbeat.js';
export { startNodeMetrics } from './metrics/start.js';
export { startMetricsServer } from './metrics/server.js';
export { createMetricsRegistry, metricsBuilder } from './metrics/collectors.js';
export { JetStreamKV, openKvBucket } from './kv/jetstream-kv.js';
export { OPEN_RETRY_MS, ensureKvBucket, ensureStream, replicasSchema } from './jetstream/ensure.js';
export {
  STORE_ID_KEY,
  kvStoreId,
  newStoreId,
  storeDescription,
  streamStoreId,
  streamStoreIdOf,
} from './jetstream/identity.js';
export { isJetStreamUnavailable, jetStreamUnavailable, withJetStream } from './jetstream/unavailable.js';
export { Backoff, backoffDelay, sleep } from './retry/backoff.js';
export { FileKV } from './kv/file-kv.js';
export { assertKey } from './kv/ttl.js';
export { createRootLogger, pluginLogger, handlerScope } from './logger.js';
export { connectNats, watchConnection } from './nats/connection.js';
export { JetStreamPublisher, JetStreamPublishError } from './nats/js-publisher.js';
export { edgePermissions, leafPermissions } from './auth/permissions.js';
export { createUserKey, publicKeyOf, readSeedFile, leafUserName, leafPassword } from './auth/seed.js';
export {
  HUB_ACCOUNT,
  authPaths,
  renderAuthConf,
  readAuthState,
  initAuthDir,
  addEdge,
  revokeEdge,
  renderAuthDir,
} from './auth/auth-dir.js';

export type { NodeOptions, HubspokeNode, SetupContext, RuntimeParts } from './node.js';
export type { PluginSource, PluginSpec, LoadedPlugin } from './host/load.js';
export type { HostedPlugin, HostTimeouts } from './host/host.js';
export type { EventCounters, HandlerRunner } from './events/local-bus.js';
export type { NodeIdentity, OutgoingEvent, DurableSink } from './events/fabric.js';
export type { ParsedEventSubject } from './wire/subjects.js';
export type { HeartbeatBody } from './events/heartbeat.js';
export type { MetricsOptions } from './metrics/start.js';
export type { MetricsServer, MetricsServerOptions } from './metrics/server.js';
export type { MetricsBuilder } from './metrics/collectors.js';
export type { HandlerScope, LogOptions } from './logger.js';
export type { ConnectOptions, ConnectionState, TlsFiles } from './nats/connection.js';
export type { PubAck, JetStreamPublisherOptions } from './nats/js-publisher.js';
export type { SubjectPermissions } from './auth/permissions.js';
export type { KvBucketOptions, StreamSpec } from './jetstream/ensure.js';
export type { BackoffOptions } from './retry/backoff.js';
export type { UserKey } from './auth/seed.js';
export type { AuthState, EdgeAuth, AuthPaths } from './auth/auth-dir.js';
export {
  findNatsServer,
  freePorts,
  natsServerMissing,
  startNatsServerProcess,
  NatsServerStartError,
} from './nats/server-process.js';
export type {
  NatsServerExit,
  NatsServerPortChoice,
  NatsServerProcess,
  NatsServerProcessOptions,
} from './nats/server-process.js';
export {
  MAX_CONFIG_VALUE_BYTES,
  assertConfigKey,
  configDigest,
  configKeyProblem,
  configScope,
  configValueJson,
  parseConfigRecord,
  recordId,
} from './sync/config-wire.js';
export type { ConfigRecord, SnapshotReply, SnapshotRequest } from './sync/config-wire.js';
export { covers, parseScopes, SCOPE_NAMES } from './host/scopes.js';
export { guardServices } from './host/guard.js';
export { checkManifest } from './host/manifest.js';
export type { Scopes } from './host/scopes.js';
export type { CheckedManifest } from './host/manifest.js';
export { disposePlugins } from './host/load.js';
export { remotePluginStatus } from './host/remote/remote-plugin.js';
export type { LoadOptions } from './host/load.js';
export type { RemotePluginStatus } from './host/remote/remote-plugin.js';
export type { AddressPluginSpec, CommandPluginSpec, RemoteOptions, RemotePluginSpec } from './host/remote/spec.js';
export { SeenIds } from './events/seen-ids.js';
export { followBucket } from './kv/follow.js';
export { TELEMETRY_PAYLOAD_TYPE, collectorMethod, decodeTelemetry, encodeTelemetry } from './gateway/telemetry-wire.js';
export type { TelemetryRecord } from './gateway/telemetry-wire.js';
