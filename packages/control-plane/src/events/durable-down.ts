import { appendEnvelopeFields, isName } from '@hubspoke/sdk';
import { ALL, subjects, type JetStreamPublisher, type SetupContext } from '@hubspoke/runtime';
import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { headers, type Msg, type Subscription } from '@nats-io/transport-node';
import { DOWN_STREAM } from '../payloads/streams.js';

const BATCH = 1000;
const MAX_PER_REQUEST = 10_000;

/** `hs.devt.<ns|_all>.<edge|_all>.<topic>`: where a durable Down event is kept at the hub. */
const keptSubject = (ns: string, edge: string, topic: string) => `hs.devt.${ns || ALL}.${edge || ALL}.${topic}`;

/**
 * Durable Down events at the control plane: each is stored in HS_DOWN first (the publish resolves on its
 * PubAck), then sent live with its stream sequence. An edge asks `hs.req.<ns>.<edge>.down` with the last
 * sequence it has seen (at start, after each reconnect, and every 30 s) and gets, on its own inbox, the events
 * after it that address it, in order, then a done marker; any replica may answer (queue group).
 */
export class DurableDown {
  private sub: Subscription | undefined;

  constructor(
    private readonly ctx: SetupContext,
    private readonly jsm: JetStreamManager,
    private readonly js: JetStreamClient,
    private readonly publisher: JetStreamPublisher,
  ) {}

  start(): void {
    this.ctx.fabric.durableSink = async (e) => {
      const ack = await this.publisher.publish(keptSubject(e.namespace, e.edgeId, e.topic), e.data, { msgId: e.id });
      this.ctx.nc.publish(e.subject, appendEnvelopeFields(e.data, { sequence: ack.seq }));
    };
    // `hs.req.>` filtered here, not `hs.req.*.*.down`: nats-server 2.9 does not propagate that interest to a leaf
    // node whose permissions allow only `hs.req.<ns>.<edge>.>` (an edge behind its own leaf, with credentials).
    this.sub = this.ctx.nc.subscribe('hs.req.>', {
      queue: 'hs-control-down',
      callback: (err, msg) => {
        if (!err && msg.subject.endsWith('.down') && msg.subject.split('.').length === 5)
          void this.answer(msg).catch((e: unknown) =>
            this.ctx.log.warn({ err: String(e) }, 'durable Down catch-up failed'),
          );
      },
    });
  }

  private async answer(req: Msg): Promise<void> {
    const [, , ns, edge] = req.subject.split('.') as [string, string, string, string];
    if (!isName(ns) || !isName(edge) || !subjects.isInboxOf(req.reply, ns, edge)) {
      this.ctx.bus.counters.rejected++;
      this.ctx.log.warn(
        { subject: req.subject, reply: req.reply, rejectedTotal: this.ctx.bus.counters.rejected },
        "durable Down request refused: its reply subject is not the requesting edge's inbox",
      );
      return;
    }
    if (!req.reply) return;
    let after = -1;
    try {
      after = Number((JSON.parse(new TextDecoder().decode(req.data)) as { after?: unknown }).after ?? -1);
    } catch {
      after = -1;
    }
    const info = await this.jsm.streams.info(DOWN_STREAM);
    const last = info.state.last_seq;
    let through = last;
    if (Number.isInteger(after) && after >= 0 && after < last) {
      const consumer = await this.js.consumers.get(DOWN_STREAM, {
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: Math.max(after + 1, info.state.first_seq),
      });
      let sent = 0;
      through = after;
      scan: while (through < last) {
        const batch = await consumer.fetch({ max_messages: BATCH, expires: 2000 });
        let got = 0;
        for await (const m of batch) {
          got++;
          through = m.seq;
          const [, , tns, tedge] = m.subject.split('.') as [string, string, string, string];
          if ((tns === ALL || tns === ns) && (tedge === ALL || tedge === edge)) {
            this.ctx.nc.publish(req.reply, appendEnvelopeFields(m.data, { sequence: m.seq }));
            if (++sent >= MAX_PER_REQUEST) break scan;
          }
          if (m.seq >= last) break scan;
        }
        if (got === 0) break;
      }
    }
    const h = headers();
    h.set('Hs-Done', String(through));
    if (through < last) h.set('Hs-More', '1');
    this.ctx.nc.publish(req.reply, new Uint8Array(0), { headers: h });
  }

  stop(): void {
    this.ctx.fabric.durableSink = undefined;
    this.sub?.unsubscribe();
  }
}
