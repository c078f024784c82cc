import {
  Server,
  ServerCredentials,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { ErrorCode, HubspokeError } from '@hubspoke/sdk';
import { edgeInfoToWire } from '@hubspoke/sdk/internal';
import type { Logger as Pino } from 'pino';
import { toStatus } from './errors.js';
import { parseValueJson, type AdminOps } from './operations.js';
import { adminServiceDefinition } from './service.js';
import type {
  DropRequest,
  GetPayloadRequest,
  ListDeadLettersRequest,
  ListPayloadsRequest,
  RedriveRequest,
  ReplayProgress,
  ReplayRequest,
} from './types.js';

/** What the admin server serves from. */
export interface AdminServerOptions {
  /** `host:port` to listen on; port 0 picks a free one. */
  listen: string;
  /** The operations it answers with (the console calls the same ones). */
  ops: AdminOps;
  log: Pino;
}

interface ConfigRequest {
  key: string;
  namespace: string;
  valueJson?: string;
  prefix?: string;
}

/** A running admin server. */
export interface AdminServer {
  /** The address it listens on, with the port it got. */
  readonly address: string;
  /** Cancels running replays, then stops serving (a call still running after 5 s is cut). */
  close(): Promise<void>;
}

function unary<Req, Res>(log: Pino, name: string, fn: (req: Req) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, done: sendUnaryData<Res>): void => {
    fn(call.request).then(
      (res) => done(null, res),
      (err: unknown) => {
        const s = toStatus(err);
        log.warn({ call: name, code: s.code, err: s.details }, 'admin call failed');
        done(s);
      },
    );
  };
}

/** Starts the gRPC admin API (proto/hubspoke/v1/admin.proto) of a control plane. */
export async function startAdminServer(o: AdminServerOptions): Promise<AdminServer> {
  const log = o.log.child({ component: 'admin' });
  const replays = new Set<AbortController>();

  const ops = o.ops;
  const impl: UntypedServiceImplementation = {
    ListEdges: unary(log, 'ListEdges', async () => ({
      edges: (await ops.listEdges()).map(edgeInfoToWire),
    })),
    ForgetEdge: unary(log, 'ForgetEdge', async (req: { edgeId: string }) => ({
      forgotten: await ops.forgetEdge(req.edgeId),
    })),
    PutConfig: unary(log, 'PutConfig', async (req: ConfigRequest) => ({
      revision: await ops.putConfig(req.key, req.namespace, parseValueJson(req.key, req.valueJson ?? '')),
    })),
    GetConfig: unary(log, 'GetConfig', async (req: ConfigRequest) => {
      const e = await ops.getConfig(req.key, req.namespace);
      if (!e) return { found: false };
      return {
        found: true,
        object: { key: e.key, namespace: req.namespace, valueJson: JSON.stringify(e.value), revision: e.revision },
      };
    }),
    DeleteConfig: unary(log, 'DeleteConfig', async (req: ConfigRequest) => ({
      deleted: await ops.deleteConfig(req.key, req.namespace),
    })),
    ListConfig: unary(log, 'ListConfig', async (req: ConfigRequest) => ({
      objects: (await ops.listConfig(req.namespace, req.prefix ?? '')).map((e) => ({
        key: e.key,
        namespace: req.namespace,
        valueJson: JSON.stringify(e.value),
        revision: e.revision,
      })),
    })),
    ListPayloads: unary(log, 'ListPayloads', (req: ListPayloadsRequest) => ops.listPayloads(req)),
    GetPayload: unary(log, 'GetPayload', (req: GetPayloadRequest) => ops.getPayload(req)),
    ListDeadLetters: unary(log, 'ListDeadLetters', (req: ListDeadLettersRequest) => ops.listDeadLetters(req)),
    Redrive: unary(log, 'Redrive', (req: RedriveRequest) => ops.redrive(req)),
    Drop: unary(log, 'Drop', (req: DropRequest) => ops.drop(req)),
    Replay: (call: ServerWritableStream<ReplayRequest, ReplayProgress>) => {
      const ac = new AbortController();
      replays.add(ac);
      call.on('cancelled', () => ac.abort());
      ops
        .replay(call.request, (p) => void call.write(p), ac.signal)
        .then(
          () => call.end(),
          (err: unknown) => {
            const s = toStatus(err);
            log.warn({ call: 'Replay', code: s.code, err: s.details }, 'admin call failed');
            call.emit('error', s);
          },
        )
        .finally(() => replays.delete(ac));
    },
  };

  const server = new Server();
  server.addService(adminServiceDefinition(), impl);
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(o.listen, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
  } catch (cause) {
    throw new HubspokeError(
      ErrorCode.ConfigInvalid,
      `admin.listen ${o.listen}: cannot listen: ${(cause as Error).message}`,
      { cause },
    );
  }
  const address = /:\d+$/.test(o.listen) ? o.listen.replace(/:\d+$/, `:${port}`) : o.listen;
  log.info({ address }, 'admin API listening (gRPC, no TLS, no authentication)');
  let closed: Promise<void> | undefined;
  return {
    address,
    close: () =>
      (closed ??= (async () => {
        for (const ac of replays) ac.abort();
        await new Promise<void>((resolve) => {
          const cut = setTimeout(() => {
            server.forceShutdown();
            resolve();
          }, 5000);
          server.tryShutdown(() => {
            clearTimeout(cut);
            resolve();
          });
        });
      })()),
  };
}
