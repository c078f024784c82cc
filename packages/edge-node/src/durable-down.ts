import { Direction, decodeEnvelope, type Envelope, type KVService } from '@hubspoke/sdk';
import { subjects, type SetupContext } from '@hubspoke/runtime';
import { createInbox, type Msg } from '@nats-io/transport-node';

const KEY = 'down.last-seq';
const PERIOD_MS = 30_000;

/**
 * The edge's side of durable Down events: remembers the last stream sequence it delivered (in its own KV, so
 * across restarts), drops live events it has seen, and asks the control plane for what it missed at start,
 * after every reconnect and every 30 s. While it catches up, live durable events wait, so that what it missed
 * is delivered first, in order, once.
 */
export class DownTracker {
  private last = -1;
  private catching = false;
  private held: Envelope[] = [];
  private timer: NodeJS.Timeout | undefined;
  private saved = -1;
  private stopped = false;

  constructor(
    private readonly ctx: SetupContext,
    private readonly kv: KVService,
    private readonly ns: string,
    private readonly edge: string,
  ) {}

  async start(): Promise<void> {
    const v = await this.kv.get(KEY);
    this.last = v ? Number(new TextDecoder().decode(v)) : -1;
    this.ctx.fabric.durableFilter = (env) => this.filter(env);
    this.ctx.onReconnect(() => void this.catchUp());
    this.timer = setInterval(() => void this.catchUp(), PERIOD_MS).unref();
  }

  private filter(env: Envelope): boolean {
    const seq = env.sequence ?? 0;
    if (this.catching || this.last < 0) {
      this.held.push(env);
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
      void this.kv.put(KEY, String(seq)).catch(() => undefined);
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
        `${subjects.request(this.ns, this.edge)}.down`,
        new TextEncoder().encode(JSON.stringify({ after: this.last })),
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
    if (env.direction !== Direction.Down || !addressed || seq <= this.last) return;
    this.advance(seq);
    this.ctx.fabric.deliverRemote(env);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.ctx.fabric.durableFilter = undefined;
  }
}
