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
  DeleteConfigRequest,
  DropReply,
  DropRequest,
  ForgetEdgeRequest,
  GetConfigRequest,
  GetPayloadReply,
  GetPayloadRequest,
  ListConfigRequest,
  ListDeadLettersReply,
  ListDeadLettersRequest,
  ListPayloadsReply,
  ListPayloadsRequest,
  PutConfigRequest,
  RedriveReply,
  RedriveRequest,
  ReplayProgress,
  ReplayRequest,
} from './types.js';
import { checkRequest, type AdminMethod } from './validate.js';

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
 * replay does the same thing (and logs the same lines) whichever way an operator asked for it. Each takes its
 * admin.proto request and checks it whole before any work (`validate.ts`): a bad field rejects with
 * `HS_ERR_INVALID_ARGUMENT` naming it, whichever way the request came.
 */
export interface AdminOps {
  listEdges(): Promise<EdgeInfo[]>;
  forgetEdge(req: ForgetEdgeRequest): Promise<boolean>;
  /** Resolves to the new revision. */
  putConfig(req: PutConfigRequest): Promise<number>;
  getConfig(req: GetConfigRequest): Promise<ConfigEntry | undefined>;
  deleteConfig(req: DeleteConfigRequest): Promise<boolean>;
  listConfig(req: ListConfigRequest): Promise<ConfigEntry[]>;
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
function parseValueJson(key: string, text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new HubspokeError(
      ErrorCode.ConfigInvalid,
      `config ${key}: value_json is not JSON: ${(cause as Error).message}`,
    );
  }
}

const scope = (namespace: string | undefined): { namespace?: string } => (namespace ? { namespace } : {});

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
  const check = (method: AdminMethod, req: unknown): void => checkRequest(method, req, o.limits);
  return {
    listEdges: () => o.edges(),
    async forgetEdge(req) {
      check('ForgetEdge', req);
      return o.forgetEdge(req.edgeId);
    },
    async putConfig(req) {
      check('PutConfig', req);
      const { key, namespace } = req;
      const revision = await o.config.put(key, parseValueJson(key, req.valueJson), scope(namespace));
      log.info({ key, namespace: namespace || undefined, revision }, 'config put');
      return revision;
    },
    async getConfig(req) {
      check('GetConfig', req);
      const all = await o.config.list({ ...scope(req.namespace), prefix: req.key });
      return all.find((x) => x.key === req.key);
    },
    async deleteConfig(req) {
      check('DeleteConfig', req);
      const { key, namespace } = req;
      const deleted = await o.config.delete(key, scope(namespace));
      if (deleted) log.info({ key, namespace: namespace || undefined }, 'config deleted');
      return deleted;
    },
    async listConfig(req) {
      check('ListConfig', req);
      return o.config.list({ ...scope(req.namespace), prefix: req.prefix ?? '' });
    },
    async listPayloads(req) {
      check('ListPayloads', req);
      return listPayloads(js, o.limits, req);
    },
    async getPayload(req) {
      check('GetPayload', req);
      return getPayload(js, o.limits, req);
    },
    async listDeadLetters(req) {
      check('ListDeadLetters', req);
      return listDeadLetters(dl, req);
    },
    async redrive(req) {
      check('Redrive', req);
      const r = await redrive(dl, req);
      log.info({ redriven: r.redriven, missing: r.missing }, 'dead letters redriven');
      return r;
    },
    async drop(req) {
      check('Drop', req);
      const r = await drop(dl, req);
      log.info({ dropped: r.dropped, missing: r.missing }, 'dead letters dropped');
      return r;
    },
    async replay(req, report, signal) {
      check('Replay', req);
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
