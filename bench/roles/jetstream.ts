// Scenario 6 (worker side): raw JetStream twins of durable edge payloads (the fabric has no sendToControl yet).
//   publish-js        js.publish() with up to `window` in flight
//   publish-pipelined core publish with a reply on one shared inbox, PubAcks parsed, up to `window` in flight
//   consume           durable pull consumer, consume() and ack() each message
import { AckPolicy, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, createInbox, type NatsConnection } from '@nats-io/transport-node';
import type { Commands } from '../worker.js';
import { now, stampedPayload } from '../lib/util.js';

const STREAM = 'HSBENCH';
const SUBJECT = 'hsbench.pay';

export function create(): Commands {
  let nc: NatsConnection;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let durables = 0;

  return {
    async setup(a: { url: string }) {
      nc = await connect({ servers: a.url });
      js = jetstream(nc);
      jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: STREAM, subjects: [`${SUBJECT}.>`] });
      return {};
    },

    async purge() {
      await jsm.streams.purge(STREAM);
      return {};
    },

    async publishJs(a: { count: number; size: number; window: number }) {
      const t0 = now();
      const inflight = new Set<Promise<unknown>>();
      let failed = 0;
      for (let i = 0; i < a.count; i++) {
        const p = js.publish(`${SUBJECT}.e`, stampedPayload(a.size)).catch(() => void failed++);
        inflight.add(p);
        void p.finally(() => inflight.delete(p));
        if (inflight.size >= a.window) await Promise.race(inflight);
      }
      await Promise.all(inflight);
      return { rate: a.count / ((now() - t0) / 1000), failed };
    },

    async publishPipelined(a: { count: number; size: number; window: number }) {
      const inbox = createInbox();
      let acked = 0;
      let failed = 0;
      let wake: (() => void) | undefined;
      const sub = nc.subscribe(inbox, {
        callback: (_e, m) => {
          const ack = JSON.parse(m.string()) as { seq?: number; error?: unknown };
          if (ack.error || !ack.seq) failed++;
          acked++;
          wake?.();
        },
      });
      await nc.flush();
      const t0 = now();
      let sent = 0;
      while (acked < a.count) {
        const room = Math.min(a.count - sent, a.window - (sent - acked));
        for (let i = 0; i < room; i++) nc.publish(`${SUBJECT}.e`, stampedPayload(a.size), { reply: inbox });
        sent += room;
        if (acked < a.count) await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
      const ms = now() - t0;
      sub.unsubscribe();
      return { rate: a.count / (ms / 1000), failed };
    },

    async consume(a: { count: number }) {
      const durable = `bench${++durables}`;
      await jsm.consumers.add(STREAM, { durable_name: durable, ack_policy: AckPolicy.Explicit });
      const c = await js.consumers.get(STREAM, durable);
      const t0 = now();
      const msgs = await c.consume({ max_messages: 1000 });
      let n = 0;
      for await (const m of msgs) {
        m.ack();
        if (++n >= a.count) break;
      }
      const ms = now() - t0;
      await msgs.close();
      await jsm.consumers.delete(STREAM, durable);
      return { rate: n / (ms / 1000) };
    },

    async close() {
      await jsm?.streams.delete(STREAM).catch(() => undefined);
      await nc?.close();
      return {};
    },
  };
}
