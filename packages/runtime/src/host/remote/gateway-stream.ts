import type { Client, ClientDuplexStream } from '@grpc/grpc-js';
import { ErrorCode, HubspokeError } from '@hubspoke/sdk';
import { bearer, decodeGateway, encodeGateway, wireArgument } from '@hubspoke/sdk/internal';

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  /** A streamed endpoint answer being received: where its chunks go. */
  chunks?: ChunkQueue;
}

interface Reply {
  id: number | string;
  json: string;
  error: string;
  more?: boolean;
  chunk?: Uint8Array;
}

/** The chunks of a streamed answer, handed to the gateway as an async iterable as they arrive. */
class ChunkQueue implements AsyncIterable<Uint8Array> {
  private items: Uint8Array[] = [];
  private done = false;
  private error: Error | undefined;
  private wake: (() => void) | undefined;

  push(c: Uint8Array): void {
    this.items.push(c);
    this.wake?.();
  }

  end(err?: Error): void {
    this.done = true;
    this.error = err;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for (;;) {
      const c = this.items.shift();
      if (c) {
        yield c;
        continue;
      }
      if (this.error) throw this.error;
      if (this.done) return;
      await new Promise<void>((r) => (this.wake = r));
      this.wake = undefined;
    }
  }
}

/**
 * The host's side of a plugin's Gateway stream: ONE bidirectional stream per plugin, every hook call of every
 * request multiplexed on it by id (not a unary call per hook). Opened on first use, and again after it broke
 * (a plugin restart): calls in flight then fail with HS_ERR_PLUGIN, and the gateway's fail-closed / fail-open
 * rules apply. Each call has a deadline here too, so that a call the gateway gave up on is forgotten.
 */
export class GatewayStream {
  private stream: ClientDuplexStream<object, Reply> | undefined;
  private readonly pending = new Map<number, Pending>();
  private next = 1;

  constructor(
    private readonly plugin: string,
    private readonly client: () => Client | undefined,
    private readonly token: () => string | undefined,
    private readonly deadlineMs: number,
  ) {}

  private open(): ClientDuplexStream<object, Reply> {
    if (this.stream) return this.stream;
    const client = this.client();
    const token = this.token();
    if (!client || !token) throw new HubspokeError(ErrorCode.Plugin, `plugin ${this.plugin}: not connected`);
    const fn = (client as unknown as Record<string, (md: unknown) => ClientDuplexStream<object, Reply>>)['Gateway'];
    if (!fn) throw new HubspokeError(ErrorCode.Internal, 'no Gateway method');
    const s = fn.call(client, bearer(token));
    s.on('data', (r: Reply) => {
      const id = Number(r.id);
      const p = this.pending.get(id);
      if (!p) return;
      if (p.chunks) {
        if (r.more) {
          if (r.chunk) p.chunks.push(r.chunk);
          return;
        }
        this.pending.delete(id);
        p.chunks.end(r.error ? new HubspokeError(ErrorCode.Plugin, `plugin ${this.plugin}: ${r.error}`) : undefined);
        return;
      }
      if (r.more) {
        // The head of a streamed endpoint answer: resolve now, chunks follow on the same id (no deadline now).
        clearTimeout(p.timer);
        p.chunks = new ChunkQueue();
        p.resolve({ ...(decodeGateway(r.json) as object), stream: p.chunks });
        return;
      }
      this.pending.delete(id);
      clearTimeout(p.timer);
      if (r.error) {
        const m = /^(HS_ERR_[A-Z_]+): ([\s\S]*)$/.exec(r.error);
        p.reject(
          new HubspokeError((m?.[1] as ErrorCode) ?? ErrorCode.Plugin, `plugin ${this.plugin}: ${m?.[2] ?? r.error}`),
        );
      } else p.resolve(decodeGateway(r.json));
    });
    const broke = (why: string): void => {
      if (this.stream !== s) return;
      this.stream = undefined;
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        clearTimeout(p.timer);
        const err = new HubspokeError(ErrorCode.Plugin, `plugin ${this.plugin}: gateway stream ended (${why})`);
        if (p.chunks) p.chunks.end(err);
        else p.reject(err);
      }
    };
    s.on('error', (err: Error) => broke(err.message));
    s.on('end', () => broke('end'));
    this.stream = s;
    return s;
  }

  /** Calls one hook in the plugin's process; resolves to its decoded result. */
  async call(hook: string, arg: unknown): Promise<unknown> {
    const json = encodeGateway(await wireArgument(hook, arg));
    const s = this.open();
    const id = this.next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new HubspokeError(
            ErrorCode.Plugin,
            `plugin ${this.plugin}: ${hook} did not answer within ${this.deadlineMs} ms`,
          ),
        );
      }, this.deadlineMs);
      this.pending.set(id, { resolve, reject, timer });
      s.write({ id, hook, json });
    });
  }

  /** Ends the stream (the plugin stops or restarts). */
  close(): void {
    const s = this.stream;
    this.stream = undefined;
    s?.end();
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      clearTimeout(p.timer);
      const err = new HubspokeError(ErrorCode.Plugin, `plugin ${this.plugin}: closed`);
      if (p.chunks) p.chunks.end(err);
      else p.reject(err);
    }
  }
}
