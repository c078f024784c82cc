import {
  Metadata,
  credentials,
  makeClientConstructor,
  type CallOptions,
  type Client,
  type ClientReadableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import type { HubspokeError } from '@hubspoke/sdk';
import { fromServiceError } from './errors.js';
import { ADMIN_SERVICE, adminServiceDefinition } from './service.js';
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

/** A config object as the admin API gives it. */
export interface ConfigObject {
  key: string;
  /** Empty for global. */
  namespace: string;
  valueJson: string;
  revision: number;
}

type Unary = (
  req: unknown,
  md: Metadata,
  opts: CallOptions,
  cb: (err: ServiceError | null, res: unknown) => void,
) => void;
type Streaming = (req: unknown, md: Metadata, opts: CallOptions) => ClientReadableStream<unknown>;

/** Options of {@link AdminClient}. */
export interface AdminClientOptions {
  /** The admin token, sent with every call as `authorization: Bearer <token>`. @default none (calls are refused) */
  token?: string;
  /** TLS: the CA (PEM text or a Buffer) that signed the server's certificate; without it, plain HTTP/2. @default none */
  tlsCa?: string | Buffer;
  /** Deadline of each unary call (a list or a redrive of many may scan a long stream). @default 60000 */
  timeoutMs?: number;
}

/**
 * A client of a control plane's admin API (proto/hubspoke/v1/admin.proto). Failures reject with a
 * `HubspokeError` carrying the server's `HS_ERR_*` code (`HS_ERR_NOT_CONNECTED` when the server cannot be reached).
 */
export class AdminClient {
  private readonly client: Client;
  private readonly timeoutMs: number;
  private readonly metadata: Metadata;

  constructor(
    readonly address: string,
    o: AdminClientOptions = {},
  ) {
    const Ctor = makeClientConstructor(adminServiceDefinition(), ADMIN_SERVICE);
    // A page of bodies is kept under 16 MiB by the server; gRPC's own default would refuse above 4 MiB.
    const channel = o.tlsCa === undefined ? credentials.createInsecure() : credentials.createSsl(Buffer.from(o.tlsCa));
    this.client = new Ctor(address, channel, {
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    });
    this.timeoutMs = o.timeoutMs ?? 60_000;
    this.metadata = new Metadata();
    if (o.token !== undefined) this.metadata.set('authorization', `Bearer ${o.token}`);
  }

  private call<Res>(method: string, req: object): Promise<Res> {
    const fn = (this.client as unknown as Record<string, Unary>)[method] as Unary;
    return new Promise<Res>((resolve, reject) => {
      fn.call(this.client, req, this.metadata, { deadline: Date.now() + this.timeoutMs }, (err, res) =>
        err ? reject(fromServiceError(err, this.address)) : resolve(res as Res),
      );
    });
  }

  /** The edges the control plane's registry knows, with their state. */
  listEdges(): Promise<{ edges: Record<string, unknown>[] }> {
    return this.call('ListEdges', {});
  }

  /** Removes an edge from the registry. */
  forgetEdge(edgeId: string): Promise<{ forgotten: boolean }> {
    return this.call('ForgetEdge', { edgeId });
  }

  /** Stores a config object (`valueJson` is JSON text); resolves to its revision. */
  putConfig(req: { key: string; namespace?: string; valueJson: string }): Promise<{ revision: number }> {
    return this.call('PutConfig', req);
  }

  getConfig(req: { key: string; namespace?: string }): Promise<{ found: boolean; object?: ConfigObject }> {
    return this.call('GetConfig', req);
  }

  deleteConfig(req: { key: string; namespace?: string }): Promise<{ deleted: boolean }> {
    return this.call('DeleteConfig', req);
  }

  listConfig(req: { namespace?: string; prefix?: string }): Promise<{ objects: ConfigObject[] }> {
    return this.call('ListConfig', req);
  }

  listPayloads(req: ListPayloadsRequest): Promise<ListPayloadsReply> {
    return this.call('ListPayloads', req);
  }

  getPayload(req: GetPayloadRequest): Promise<GetPayloadReply> {
    return this.call('GetPayload', req);
  }

  listDeadLetters(req: ListDeadLettersRequest): Promise<ListDeadLettersReply> {
    return this.call('ListDeadLetters', req);
  }

  redrive(req: RedriveRequest): Promise<RedriveReply> {
    return this.call('Redrive', req);
  }

  drop(req: DropRequest): Promise<DropReply> {
    return this.call('Drop', req);
  }

  /**
   * Runs a replay; yields its progress messages, the last with `done`. Aborting `signal` (or leaving the loop)
   * cancels the call, which stops the replay at the server.
   */
  async *replay(req: ReplayRequest, signal?: AbortSignal): AsyncGenerator<ReplayProgress> {
    const fn = (this.client as unknown as Record<string, Streaming>)['Replay'] as Streaming;
    const stream = fn.call(this.client, req, this.metadata, {});
    const cancel = (): void => stream.cancel();
    signal?.addEventListener('abort', cancel, { once: true });
    let failure: HubspokeError | undefined;
    stream.on('error', (err: ServiceError) => (failure ??= fromServiceError(err, this.address)));
    try {
      for await (const p of stream as AsyncIterable<ReplayProgress>) yield p;
    } catch (err) {
      throw failure ?? fromServiceError(err as ServiceError, this.address);
    } finally {
      signal?.removeEventListener('abort', cancel);
      stream.cancel();
    }
    if (failure) throw failure;
  }

  close(): void {
    this.client.close();
  }
}
