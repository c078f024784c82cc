import { readFileSync } from 'node:fs';
import {
  Server,
  ServerCredentials,
  type Metadata,
  type StatusObject,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServerWritableStream,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { ErrorCode, HubspokeError } from '@hubspoke/sdk';
import { edgeInfoToWire, hasToken } from '@hubspoke/sdk/internal';
import type { Logger as Pino } from 'pino';
import { toStatus } from './errors.js';
import type { AdminOps } from './operations.js';
import { strictAdminServiceDefinition, undecodable } from './service.js';
import type {
  DeleteConfigRequest,
  DropRequest,
  ForgetEdgeRequest,
  GetConfigRequest,
  GetPayloadRequest,
  ListConfigRequest,
  ListDeadLettersRequest,
  ListPayloadsRequest,
  PutConfigRequest,
  RedriveRequest,
  ReplayProgress,
  ReplayRequest,
} from './types.js';

/** What the admin server serves from. */
export interface AdminServerOptions {
  /** `host:port` to listen on; port 0 picks a free one. */
  listen: string;
  /** The token every call must carry (`authorization: Bearer <token>`). */
  token: string;
  /** TLS: the server's certificate and key (PEM files). @default none (plain HTTP/2) */
  tls?: { cert: string; key: string } | undefined;
  /** The operations it answers with (the console calls the same ones); they check each request's fields. */
  ops: AdminOps;
  log: Pino;
}

/** A running admin server. */
export interface AdminServer {
  /** The address it listens on, with the port it got. */
  readonly address: string;
  /** Cancels running replays, then stops serving (a call still running after 5 s is cut). */
  close(): Promise<void>;
}

/**
 * Why a call may not run: no token, or bytes that are not the request. Checked before any work; the fields are
 * checked by the operation itself (validate.ts), for the console's requests too.
 */
function refusal(o: AdminServerOptions, method: string, call: { metadata: Metadata; request: unknown }): unknown {
  if (!hasToken(call.metadata, o.token)) {
    return new HubspokeError(
      ErrorCode.Unauthenticated,
      `${method}: the call carries no valid admin token (metadata authorization: Bearer <token>; hubspoke: --admin-token FILE or HUBSPOKE_ADMIN_TOKEN)`,
    );
  }
  const bad = undecodable(call.request);
  if (bad !== undefined) return new HubspokeError(ErrorCode.InvalidArgument, `${method}: ${bad}`);
  return undefined;
}

function failed(log: Pino, name: string, err: unknown): Partial<StatusObject> {
  const s = toStatus(err);
  log.warn({ call: name, code: s.code, err: s.details }, 'admin call failed');
  return s;
}

function unary<Req, Res>(o: AdminServerOptions, log: Pino, name: string, fn: (req: Req) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, done: sendUnaryData<Res>): void => {
    const refused = refusal(o, name, call);
    if (refused !== undefined) return done(failed(log, name, refused));
    fn(call.request).then(
      (res) => done(null, res),
      (err: unknown) => done(failed(log, name, err)),
    );
  };
}

/** Starts the gRPC admin API (proto/hubspoke/v1/admin.proto) of a control plane. */
export async function startAdminServer(o: AdminServerOptions): Promise<AdminServer> {
  const log = o.log.child({ component: 'admin' });
  const replays = new Set<AbortController>();

  const ops = o.ops;
  const impl: UntypedServiceImplementation = {
    ListEdges: unary(o, log, 'ListEdges', async () => ({
      edges: (await ops.listEdges()).map(edgeInfoToWire),
    })),
    ForgetEdge: unary(o, log, 'ForgetEdge', async (req: ForgetEdgeRequest) => ({
      forgotten: await ops.forgetEdge(req),
    })),
    PutConfig: unary(o, log, 'PutConfig', async (req: PutConfigRequest) => ({
      revision: await ops.putConfig(req),
    })),
    GetConfig: unary(o, log, 'GetConfig', async (req: GetConfigRequest) => {
      const e = await ops.getConfig(req);
      if (!e) return { found: false };
      return {
        found: true,
        object: { key: e.key, namespace: req.namespace, valueJson: JSON.stringify(e.value), revision: e.revision },
      };
    }),
    DeleteConfig: unary(o, log, 'DeleteConfig', async (req: DeleteConfigRequest) => ({
      deleted: await ops.deleteConfig(req),
    })),
    ListConfig: unary(o, log, 'ListConfig', async (req: ListConfigRequest) => ({
      objects: (await ops.listConfig(req)).map((e) => ({
        key: e.key,
        namespace: req.namespace,
        valueJson: JSON.stringify(e.value),
        revision: e.revision,
      })),
    })),
    ListPayloads: unary(o, log, 'ListPayloads', (req: ListPayloadsRequest) => ops.listPayloads(req)),
    GetPayload: unary(o, log, 'GetPayload', (req: GetPayloadRequest) => ops.getPayload(req)),
    ListDeadLetters: unary(o, log, 'ListDeadLetters', (req: ListDeadLettersRequest) => ops.listDeadLetters(req)),
    Redrive: unary(o, log, 'Redrive', (req: RedriveRequest) => ops.redrive(req)),
    Drop: unary(o, log, 'Drop', (req: DropRequest) => ops.drop(req)),
    Replay: (call: ServerWritableStream<ReplayRequest, ReplayProgress>) => {
      const refused = refusal(o, 'Replay', call);
      if (refused !== undefined) {
        call.emit('error', failed(log, 'Replay', refused));
        return;
      }
      const ac = new AbortController();
      replays.add(ac);
      call.on('cancelled', () => ac.abort());
      ops
        .replay(call.request, (p) => void call.write(p), ac.signal)
        .then(
          () => call.end(),
          (err: unknown) => call.emit('error', failed(log, 'Replay', err)),
        )
        .finally(() => replays.delete(ac));
    },
  };

  // Requests are bounded before they are decoded: the largest is a 1 MiB config value.
  const server = new Server({ 'grpc.max_receive_message_length': 2 * 1024 * 1024 });
  server.addService(strictAdminServiceDefinition(), impl);
  let creds: ServerCredentials;
  try {
    creds = o.tls
      ? ServerCredentials.createSsl(null, [
          { cert_chain: readFileSync(o.tls.cert), private_key: readFileSync(o.tls.key) },
        ])
      : ServerCredentials.createInsecure();
  } catch (cause) {
    throw new HubspokeError(ErrorCode.ConfigInvalid, `admin.tls: ${(cause as Error).message}`, { cause });
  }
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(o.listen, creds, (err, p) => (err ? reject(err) : resolve(p))),
    );
  } catch (cause) {
    throw new HubspokeError(
      ErrorCode.ConfigInvalid,
      `admin.listen ${o.listen}: cannot listen: ${(cause as Error).message}`,
      { cause },
    );
  }
  const address = /:\d+$/.test(o.listen) ? o.listen.replace(/:\d+$/, `:${port}`) : o.listen;
  log.info({ address, tls: o.tls !== undefined }, 'admin API listening (gRPC, token required)');
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
