import { ErrorCode, HubspokeError, type ConfigEntry, type ControlConfigService, type EdgeInfo } from '@hubspoke/sdk';
import type { Limits } from '@hubspoke/sdk';
import { JetStreamPublisher, type PluginHost } from '@hubspoke/runtime';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger as Pino } from 'pino';
import { drop, listDeadLetters, redrive, type DeadLetterDeps } from '../payloads/dead-letter-admin.js';
import { getPayload, listPayloads } from '../payloads/inspect.js';
import { replay, type ReplayDeps } from '../payloads/replay.js';
import type {
  DropReply,
  DropRequest,
  GetPayloadReply,
  GetPayloadRequest,
  ListDeadLettersReply,
  ListDeadLettersRequest,
  ListPayloadsReply,
  ListPayloadsRequest,
  RedriveReply,
  RedriveRequest,
  ReplayProgress,
  ReplayRequest,
} from './types.js';

/** What the admin operations act on. */
export interface AdminOpsOptions {
  nc: NatsConnection;
  host: PluginHost;
  limits: Readonly<Limits>;
  log: Pino;
  /** How long one receiver may take to answer a replayed payload. */
  offerTimeoutMs: number;
  /** The edge registry. */
  edges: () => Promise<EdgeInfo[]>;
  /** Removes an edge from the registry. */
  forgetEdge: (edgeId: string) => Promise<boolean>;
  /** The config store. */
  config: ControlConfigService;
}

/**
 * The operations of the admin API, once: the gRPC server and the console both call these, so that a redrive or a
 * replay does the same thing (and logs the same lines) whichever way an operator asked for it.
 */
export interface AdminOps {
  listEdges(): Promise<EdgeInfo[]>;
  forgetEdge(edgeId: string): Promise<boolean>;
  putConfig(key: string, namespace: string, value: unknown): Promise<number>;
  getConfig(key: string, namespace: string): Promise<ConfigEntry | undefined>;
  deleteConfig(key: string, namespace: string): Promise<boolean>;
  listConfig(namespace: string, prefix: string): Promise<ConfigEntry[]>;
  listPayloads(req: ListPayloadsRequest): Promise<ListPayloadsReply>;
  getPayload(req: GetPayloadRequest): Promise<GetPayloadReply>;
  listDeadLetters(req: ListDeadLettersRequest): Promise<ListDeadLettersReply>;
  redrive(req: RedriveRequest): Promise<RedriveReply>;
  drop(req: DropRequest): Promise<DropReply>;
  /** Runs a replay to its end (or until `signal`); `report` is told its progress. Aborted by `close()` too. */
  replay(req: ReplayRequest, report: (p: ReplayProgress) => void, signal: AbortSignal): Promise<ReplayProgress>;
  /** Cancels running replays and releases the publisher. */
  close(): void;
}

/** Parses a config value given as JSON text (the admin API's `value_json`). */
export function parseValueJson(key: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new HubspokeError(
      ErrorCode.ConfigInvalid,
      `config ${key}: value_json is not JSON: ${(cause as Error).message}`,
    );
  }
}

const scope = (namespace: string): { namespace?: string } => (namespace ? { namespace } : {});

/** Creates the admin operations of a control plane. */
export async function createAdminOps(o: AdminOpsOptions): Promise<AdminOps> {
  const log = o.log.child({ component: 'admin' });
  const js = jetstream(o.nc);
  const jsm = await jetstreamManager(o.nc);
  const publisher = new JetStreamPublisher(o.nc, { timeoutMs: 5000 });
  const dl: DeadLetterDeps = { js, jsm, publisher, limits: o.limits };
  const rd: ReplayDeps = { js, host: o.host, limits: o.limits, log, offerTimeoutMs: o.offerTimeoutMs };
  const replays = new Set<AbortController>();
  let closed = false;
  return {
    listEdges: () => o.edges(),
    forgetEdge: (edgeId) => o.forgetEdge(edgeId),
    async putConfig(key, namespace, value) {
      const revision = await o.config.put(key, value, scope(namespace));
      log.info({ key, namespace: namespace || undefined, revision }, 'config put');
      return revision;
    },
    async getConfig(key, namespace) {
      const all = await o.config.list({ ...scope(namespace), prefix: key });
      return all.find((x) => x.key === key);
    },
    async deleteConfig(key, namespace) {
      const deleted = await o.config.delete(key, scope(namespace));
      if (deleted) log.info({ key, namespace: namespace || undefined }, 'config deleted');
      return deleted;
    },
    listConfig: (namespace, prefix) => o.config.list({ ...scope(namespace), prefix }),
    listPayloads: (req) => listPayloads(js, o.limits, req),
    getPayload: (req) => getPayload(js, o.limits, req),
    listDeadLetters: (req) => listDeadLetters(dl, req),
    async redrive(req) {
      const r = await redrive(dl, req);
      log.info({ redriven: r.redriven, missing: r.missing }, 'dead letters redriven');
      return r;
    },
    async drop(req) {
      const r = await drop(dl, req);
      log.info({ dropped: r.dropped, missing: r.missing }, 'dead letters dropped');
      return r;
    },
    async replay(req, report, signal) {
      if (closed) throw new HubspokeError(ErrorCode.Closed, 'the control plane is closing');
      const ac = new AbortController();
      const onAbort = (): void => ac.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) ac.abort();
      replays.add(ac);
      try {
        return await replay(rd, req, report, ac.signal);
      } finally {
        replays.delete(ac);
        signal.removeEventListener('abort', onAbort);
      }
    },
    close() {
      closed = true;
      for (const ac of replays) ac.abort();
      publisher.close();
    },
  };
}
