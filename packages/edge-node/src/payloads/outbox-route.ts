import {
  Backoff,
  edgeDomain,
  sleep,
  subjects,
  type OutboxSourceReply,
  type OutboxSourceRequest,
} from '@hubspoke/runtime';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger as Pino } from 'pino';
import type { Forwarder } from './forwarder.js';
import type { Outbox } from './outbox.js';

/** While sourced: how often the edge asks how far the hub has its outbox, while payloads wait (one hub lookup each). */
const SYNC_MS = 1000;
/** While sourced and idle: how often the edge makes sure the hub still sources it (and purges what is left). */
const IDLE_SYNC_MS = 30_000;
/** While forwarding: how often the edge asks again whether the hub would source its outbox. */
const PROBE_MS = 5000;
const REQUEST_TIMEOUT_MS = 2000;

/**
 * How the outbox reaches the hub. The hub's `HS_PAYLOADS` sources it (the payloads never pass through the edge
 * process again: half the work at the leaf) when a control plane agrees to (`hs.req.<ns>.<edge>.outbox`: it adds
 * a source for this outbox, with the deliver prefix only this edge's leaf may publish on); the answers also say
 * how far the hub has the outbox, and what it has is purged. Otherwise (a control plane from before sourcing, none
 * running, a leaf whose domain is not `edge-<edge>`, an outbox from before), the forwarder sends it, and the edge
 * asks again every 5 s. The two never run at once: the forwarder is stopped before the hub is asked to source,
 * so the hub gets each outbox sequence in order, and what both sent is dropped by its id and outbox position.
 */
export class OutboxRoute {
  private readonly stopping = new AbortController();
  private sourced = false;
  private forwarder: Forwarder | undefined;
  private loop: Promise<void> | undefined;
  private lastSync = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly ns: string,
    private readonly edge: string,
    private readonly domain: string,
    private readonly outbox: Outbox,
    private readonly newForwarder: () => Forwarder,
    private readonly log: Pino,
  ) {}

  private get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  start(): void {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    const canSource = this.outbox.sourceable && this.domain === edgeDomain(this.edge);
    if (!canSource) {
      this.log.info(
        { stream: this.outbox.stream, domain: this.domain },
        this.outbox.sourceable
          ? `the leaf's JetStream domain is not ${edgeDomain(this.edge)}: the forwarder sends the outbox to the hub`
          : 'an outbox from before sourcing: the forwarder sends it; the next start replaces it once it is empty',
      );
      this.startForwarder();
      return;
    }
    const backoff = new Backoff({ initialMs: SYNC_MS, maxMs: IDLE_SYNC_MS });
    // At a start the leaf's link to the hub may not be up yet: ask again soon, then every PROBE_MS.
    const probes = new Backoff({ initialMs: SYNC_MS, maxMs: PROBE_MS });
    while (!this.stopped) {
      let waitMs: number;
      if (this.sourced) {
        waitMs = await this.sync(backoff);
      } else {
        await this.trySourcing();
        waitMs = this.sourced ? SYNC_MS : probes.next();
        if (!this.sourced && !this.forwarder) this.startForwarder();
      }
      await sleep(waitMs, this.stopping.signal);
    }
  }

  /** Asks the hub how far it has the outbox, and purges that; resolves how long to wait before the next ask. */
  private async sync(backoff: Backoff): Promise<number> {
    const idle = this.outbox.pending === 0;
    if (idle && Date.now() - this.lastSync < IDLE_SYNC_MS) return SYNC_MS;
    const reply = await this.ask(false);
    // No answer (the hub or every control plane is away): the hub keeps sourcing; the purge waits.
    if (!reply?.sourced) return backoff.next();
    backoff.reset();
    this.lastSync = Date.now();
    this.outbox.forwarded(reply.stored);
    try {
      await this.outbox.purgeForwarded();
    } catch (err) {
      this.log.debug({ err: String(err) }, 'outbox purge failed; retried later');
    }
    return SYNC_MS;
  }

  /** Asks whether the hub would source the outbox; if so, stops the forwarder, then has the hub source it. */
  private async trySourcing(): Promise<void> {
    const probe = await this.ask(true);
    if (!probe?.sourced || this.stopped) return;
    const forwarder = this.forwarder;
    this.forwarder = undefined;
    await forwarder?.stop();
    const reply = await this.ask(false);
    if (reply?.sourced) {
      this.sourced = true;
      this.lastSync = Date.now();
      this.outbox.forwarded(reply.stored);
      this.log.info(
        { stream: this.outbox.stream, pending: this.outbox.pending },
        'the hub sources this outbox: payloads go from the leaf to the hub without passing through the edge again',
      );
    } else {
      this.startForwarder();
    }
  }

  private startForwarder(): void {
    if (this.forwarder || this.stopped) return;
    this.forwarder = this.newForwarder();
    this.forwarder.start();
  }

  /** One request to the control plane; undefined when none answered (or the answer made no sense). */
  private async ask(probe: boolean): Promise<OutboxSourceReply | undefined> {
    const req: OutboxSourceRequest = {
      stream: this.outbox.stream,
      domain: this.domain,
      ...(probe ? { probe } : { stored: this.outbox.nextToForward - 1 }),
    };
    try {
      const m = await this.nc.request(subjects.outboxRequest(this.ns, this.edge), JSON.stringify(req), {
        timeout: REQUEST_TIMEOUT_MS,
      });
      const reply = m.json<OutboxSourceReply>();
      if (reply?.sourced === true && Number.isSafeInteger(reply.stored) && reply.stored >= 0) return reply;
      if (reply?.sourced === false) return { sourced: false, reason: String(reply.reason) };
      return undefined;
    } catch {
      return undefined;
    }
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop?.catch(() => undefined);
    await this.forwarder?.stop();
  }
}
