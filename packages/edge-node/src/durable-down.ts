import { Direction, decodeEnvelope, type Envelope, type KVService } from '@hubspoke/sdk';
import { subjects, type SetupContext } from '@hubspoke/runtime';
import { createInbox, type Msg } from '@nats-io/transport-node';

const KEY = 'down.last-seq';
const PERIOD_MS = 30_000;
const dec = new TextDecoder();

/** What is kept under `down.last-seq`: `{ seq, store }` (an older edge kept the bare sequence). */
function parseKept(v: Uint8Array | undefined): { seq: number; store: string | undefined } {
  if (!v) return { seq: -1, store: undefined };
  try {
    const x = JSON.parse(dec.decode(v)) as unknown;
    if (typeof x === 'number' && Number.isSafeInteger(x)) return { seq: x, store: undefined };
    const o = x as { seq?: unknown; store?: unknown };
    if (typeof o?.seq === 'number' && Number.isSafeInteger(o.seq)) {
      return { seq: o.seq, store: typeof o.store === 'string' && o.store ? o.store : undefined };
    }
  } catch {
    // damaged: start as a new edge
  }
  return { seq: -1, store: undefined };
}

/**
 * The edge's side of durable Down events: remembers the last stream sequence it delivered (in its own KV, so
 * across restarts), drops live events it has seen, and asks the control plane for what it missed at start,
 * after every reconnect and every 30 s. While it catches up, live durable events wait, so that what it missed
 * is delivered first, in order, once.
 *
 * The sequence counts in one HS_DOWN stream, named by its store id. An event of another store (the stream was
 * recreated, or this edge now talks to another hub) starts a catch-up that carries the kept id: the control
 * plane then sends that store's events from its first, and the edge takes them whatever their sequence.
 */
export class DownTracker {
  private last = -1;
  private store: string | undefined;
  private catching = false;
  private held: Envelope[] = [];
  private timer: NodeJS.Timeout | undefined;
  private saved = -1;
  private stopped = false;
  private writing: Promise<void> = Promise.resolve();
  private unsaved: string | undefined;

  constructor(
    private readonly ctx: SetupContext,
    private readonly kv: KVService,
    private readonly ns: string,
    private readonly edge: string,
  ) {}

  async start(): Promise<void> {
    const kept = parseKept(await this.kv.get(KEY));
    this.last = kept.seq;
    this.store = kept.store;
    this.ctx.fabric.durableFilter = (env) => this.filter(env);
    this.ctx.onReconnect(() => void this.catchUp());
    this.timer = setInterval(() => void this.catchUp(), PERIOD_MS).unref();
  }

  /** True when the event's sequence counts in a store other than the one this edge's sequence does. */
  private otherStore(env: Envelope): boolean {
    return env.sequenceEpoch !== undefined && env.sequenceEpoch !== '' && env.sequenceEpoch !== this.store;
  }

  /** Takes `store` as the one sequences count in, from its start. */
  private adopt(store: string): void {
    this.ctx.log.info({ store, keptSeq: this.last }, 'durable Down events from another store: kept sequence reset');
    this.store = store;
    this.last = 0;
    this.saved = -1;
  }

  private filter(env: Envelope): boolean {
    const seq = env.sequence ?? 0;
    if (this.catching || this.last < 0 || this.otherStore(env)) {
      this.held.push(env);
      if (!this.catching && this.last >= 0) void this.catchUp();
      return false;
    }
    if (seq <= this.last) return false;
    this.advance(seq);
    return true;
  }

  private advance(seq: number): void {
    this.last = seq;
    if (this.saved !== seq) {
      this.saved = seq;
      this.save(JSON.stringify({ seq, store: this.store }));
    }
  }

  /** Asks for what this edge missed and delivers it, then what came live meanwhile; repeats while there is more. */
  async catchUp(): Promise<void> {
    if (this.catching || this.stopped) return;
    this.catching = true;
    try {
      for (let more = true; more && !this.stopped;) more = await this.round();
    } catch (err) {
      this.ctx.log.debug({ err: String(err) }, 'durable Down catch-up not answered; tried again later');
    } finally {
      this.catching = false;
      const held = this.held.splice(0).sort((a, b) => (a.sequence ?? 0) - (b.sequence ?? 0));
      for (const env of held) {
        // Still of another store after a catch-up (none answered): it waits for the next one.
        if (this.otherStore(env) && this.last >= 0) {
          this.held.push(env);
          continue;
        }
        if (this.last >= 0 && (env.sequence ?? 0) > this.last) {
          this.advance(env.sequence ?? 0);
          this.ctx.fabric.deliverRemote(env);
        }
      }
    }
  }

  private round(): Promise<boolean> {
    const nc = this.ctx.nc;
    const inbox = createInbox(this.ctx.inboxPrefix);
    return new Promise<boolean>((resolve, reject) => {
      const timer = setTimeout(() => {
        sub.unsubscribe();
        reject(new Error('no answer from the control plane'));
      }, 10_000);
      const sub = nc.subscribe(inbox, {
        callback: (err, m: Msg) => {
          if (err) {
            clearTimeout(timer);
            sub.unsubscribe();
            reject(err);
            return;
          }
          const done = m.headers?.get('Hs-Done');
          if (done) {
            clearTimeout(timer);
            sub.unsubscribe();
            const through = Number(done);
            const store = m.headers?.get('Hs-Store');
            if (store && store !== this.store) this.adopt(store);
            if (through > this.last) this.advance(through);
            resolve(m.headers?.get('Hs-More') === '1');
            return;
          }
          if (m.headers?.hasError) {
            clearTimeout(timer);
            sub.unsubscribe();
            reject(new Error(`catch-up refused: ${m.headers.code} ${m.headers.description}`));
            return;
          }
          this.deliver(m.data);
        },
      });
      nc.publish(
        subjects.downRequest(this.ns, this.edge),
        new TextEncoder().encode(JSON.stringify({ after: this.last, store: this.store })),
        {
          reply: inbox,
        },
      );
    });
  }

  private deliver(data: Uint8Array): void {
    let env: Envelope;
    try {
      env = decodeEnvelope(data);
    } catch {
      return;
    }
    const seq = env.sequence ?? 0;
    const addressed =
      (env.namespace === '' || env.namespace === this.ns) && (env.edgeId === '' || env.edgeId === this.edge);
    if (env.direction !== Direction.Down || !addressed) return;
    if (this.otherStore(env)) this.adopt(env.sequenceEpoch as string);
    if (seq <= this.last) return;
    this.advance(seq);
    this.ctx.fabric.deliverRemote(env);
  }

  /** Keeps the latest sequence; writes one at a time, the newest value only, never after stop. */
  private save(value: string): void {
    if (this.stopped) return;
    this.unsaved = value;
    this.writing = this.writing.then(async () => {
      const v = this.unsaved;
      this.unsaved = undefined;
      if (v !== undefined) await this.kv.put(KEY, v).catch(() => undefined);
    });
  }

  /** Stops; resolves once the last sequence is written (nothing is written after). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.ctx.fabric.durableFilter = undefined;
    await this.writing;
  }
}
