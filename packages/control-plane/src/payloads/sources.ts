import {
  edgeDomain,
  outboxIdOf,
  sourceApi,
  sourcedPosition,
  STREAM_SOURCE_HEADER,
  subjects,
  type OutboxSourceReply,
} from '@hubspoke/runtime';
import type { JetStreamManager, StreamConfig, StreamSource } from '@nats-io/jetstream';
import type { Msg, NatsConnection, Subscription } from '@nats-io/transport-node';
import type { Logger as Pino } from 'pino';
import { z } from 'zod';
import { dealtThrough } from './dedup.js';
import type { EdgeRecords } from './edge-record.js';
import { PAYLOAD_STREAM } from './streams.js';

const requestSchema = z.object({
  stream: z.string().max(64),
  domain: z.string().max(256),
  probe: z.boolean().optional(),
  stored: z.number().int().min(0).optional(),
});

/** How long this replica trusts the sources it last read from `HS_PAYLOADS` (another replica may change them). */
const CONFIG_FRESH_MS = 2000;
/**
 * An edge's source is changed at most this often by a replica: each change is an update of `HS_PAYLOADS` (a
 * meta-leader round on a cluster), and an edge asking with a new outbox stream every time must not cost more.
 * A real edge changes its outbox only when its leaf's store was lost.
 */
const CHANGE_EVERY_MS = 10_000;

/**
 * The hub sourcing edges' outboxes (docs/payloads.md "Sourced outboxes"). An edge behind its own leaf asks on
 * `hs.req.<ns>.<edge>.outbox` (one replica answers: a queue group); this adds to `HS_PAYLOADS` a source for that
 * outbox stream in the leaf's domain (`edge-<edge>`, and no other: the hub sends that domain's API only to the
 * edge's leaf) with the deliver prefix `hs.src.<ns>.<edge>` (only the edge's leaf user may publish there), replacing
 * the edge's source of an older outbox. Each answer says how far the hub has the outbox, so the edge purges it.
 */
export class OutboxSources {
  private sub: Subscription | undefined;
  /** The sources of `HS_PAYLOADS` by deliver prefix, as last read or written here. */
  private known = new Map<string, string>();
  private knownAt = 0;
  /** Stream updates from this replica go one at a time. */
  private updating: Promise<unknown> = Promise.resolve();
  /** When this replica last changed each edge's source (by deliver prefix). */
  private changed = new Map<string, number>();
  /** Told of every edge whose outbox this replica sources on its request (the dispatcher takes it if unowned). */
  onSourced: ((ns: string, edge: string) => void) | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly jsm: JetStreamManager,
    private readonly records: EdgeRecords,
    private readonly log: Pino,
  ) {}

  start(): void {
    this.sub = this.nc.subscribe(subjects.outboxRequestAll, {
      queue: 'hs-control-outbox',
      callback: (err, m) => {
        if (!err) void this.answer(m);
      },
    });
  }

  stop(): void {
    this.sub?.unsubscribe();
    this.sub = undefined;
  }

  private async answer(m: Msg): Promise<void> {
    const [, , ns = '', edge = ''] = m.subject.split('.');
    // A reply subject is the requester's choice: answer the edge only on its own inbox.
    if (!subjects.isInboxOf(m.reply, ns, edge)) return;
    const reply = (r: OutboxSourceReply) => m.respond(JSON.stringify(r));
    let req: z.infer<typeof requestSchema>;
    try {
      req = requestSchema.parse(m.json());
    } catch (err) {
      reply({ sourced: false, reason: `HS_ERR_INVALID_ARGUMENT: bad outbox request: ${String(err).slice(0, 200)}` });
      return;
    }
    const id = outboxIdOf(req.stream);
    if (id === undefined) {
      reply({ sourced: false, reason: `stream ${JSON.stringify(req.stream)} is not an outbox (HS_OUTBOX_<id>)` });
      return;
    }
    if (req.domain !== edgeDomain(edge)) {
      reply({
        sourced: false,
        reason: `the leaf's JetStream domain is ${JSON.stringify(req.domain)}: only ${edgeDomain(edge)} is sourced`,
      });
      return;
    }
    if (req.probe) {
      reply({ sourced: true, stored: 0 });
      return;
    }
    try {
      await this.ensure(ns, edge, req.stream);
      reply({ sourced: true, stored: await this.stored(ns, edge, id, req.stored ?? 0) });
      this.onSourced?.(ns, edge);
    } catch (err) {
      // No answer: the edge asks again (the hub may be electing a leader).
      this.log.warn({ err: String(err), edge, ns }, 'cannot source the outbox of an edge; it asks again');
    }
  }

  /** Makes sure `HS_PAYLOADS` sources `stream` for this edge (and no older outbox of it). */
  private async ensure(ns: string, edge: string, stream: string): Promise<void> {
    const deliver = subjects.sourceDeliver(ns, edge);
    if (Date.now() - this.knownAt < CONFIG_FRESH_MS && this.known.get(deliver) === stream) return;
    await this.serially(async () => {
      const config = await this.readConfig();
      if (this.known.get(deliver) === stream) return;
      const last = this.changed.get(deliver) ?? 0;
      if (Date.now() - last < CHANGE_EVERY_MS) {
        throw new Error(`the source of edge ${edge} changed less than ${CHANGE_EVERY_MS / 1000} s ago`);
      }
      if (this.changed.size >= 100_000) this.changed.clear();
      this.changed.set(deliver, Date.now());
      const sources: StreamSource[] = (config.sources ?? []).filter((s) => s.external?.deliver !== deliver);
      sources.push({ name: stream, external: { api: sourceApi(edge), deliver } });
      await this.writeSources(config, sources);
      this.log.info({ edge, ns, stream }, "the hub sources the edge's outbox");
    });
  }

  /**
   * Removes the source of an edge's outbox from `HS_PAYLOADS` (the edge is forgotten: nats-server would go on
   * trying it). Resolves to whether there was one. The edge gets a new one if it asks again, and the hub resumes it
   * after what it stored from that outbox.
   */
  remove(edgeId: string): Promise<boolean> {
    return this.serially(async () => {
      const config = await this.readConfig();
      const all = config.sources ?? [];
      const kept = all.filter((s) => (s.external?.deliver ?? '').split('.')[3] !== edgeId);
      if (kept.length === all.length) return false;
      // The last source stays: nats-server accepts the readers' filter `hs.*.<ns>.<edge>` (outside the stream's
      // own subjects) only while the stream has a source, and sourced payloads not dispatched yet would be
      // stranded. It costs the hub a retry now and then.
      if (kept.length === 0) {
        this.log.info({ edge: edgeId }, "the hub's last source stays (the stream's sourced payloads stay readable)");
        return false;
      }
      await this.writeSources(config, kept);
      this.log.info({ edge: edgeId }, "the hub no longer sources the edge's outbox (the edge was forgotten)");
      return true;
    });
  }

  /** Runs source changes of this replica one at a time (each reads the stream's config, then writes it). */
  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.updating.then(fn);
    this.updating = run.catch(() => undefined);
    return run;
  }

  private async readConfig(): Promise<StreamConfig> {
    const { config } = await this.jsm.streams.info(PAYLOAD_STREAM);
    this.remember(config);
    return config;
  }

  private async writeSources(config: StreamConfig, sources: StreamSource[]): Promise<void> {
    this.remember((await this.jsm.streams.update(PAYLOAD_STREAM, { ...config, sources })).config);
  }

  private remember(config: StreamConfig): void {
    this.known = new Map((config.sources ?? []).map((s) => [s.external?.deliver ?? '', s.name]));
    this.knownAt = Date.now();
  }

  /**
   * How far the hub has outbox `id`: the source sequence of the edge's last sourced payload, when it is of this
   * outbox. When that is not past what the edge already knows (`known`), also what the edge's dispatch record
   * dealt with: payloads the hub dropped as copies (the forwarder had sent them before the edge was sourced) never
   * sit last on the subject, and something else may (another leaf's message, dead-lettered), yet the edge must
   * purge past them.
   */
  private async stored(ns: string, edge: string, id: string, known: number): Promise<number> {
    let stored = 0;
    const last = await this.jsm.streams.getMessage(PAYLOAD_STREAM, { last_by_subj: subjects.outbox(ns, edge) });
    const pos = last ? sourcedPosition(edge, last.header?.get(STREAM_SOURCE_HEADER)) : undefined;
    if (pos !== undefined && typeof pos !== 'string' && pos.epoch === id) stored = pos.seq;
    if (stored <= known) {
      const { record } = await this.records.read(ns, edge);
      // Only what every payload up to was dealt with: one in a gap may still be on its way from the outbox.
      if (record?.epoch === id) stored = Math.max(stored, dealtThrough(record));
    }
    return stored;
  }
}
