import { readFileSync } from 'node:fs';
import { encodeHeartbeat, subjects, type HeartbeatBody } from '@hubspoke/runtime';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger as Pino } from 'pino';

/** The edge runtime's version, announced in every heartbeat. */
export const EDGE_VERSION = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/** What a heartbeat reads from the running edge. */
export interface HeartbeatSource {
  nc: NatsConnection;
  log: Pino;
  namespace: string;
  edgeId: string;
  heartbeatMs: number;
  outboxDepth: () => number;
  reconnects: () => number;
  /** The config the edge holds: its highest applied revision, digest, and the rejection standing. */
  config?: { appliedRevision(): number; configDigest(): string; lastError(): string | undefined };
}

/**
 * Sends this edge's heartbeat on `hs.hb.<ns>.<edge>` (core NATS, no JetStream: edges have none at the hub):
 * once at start, before the edge is ready, then every `heartbeatMs`, and a last one with `leaving: true` at a
 * clean close so that the control plane marks the edge offline at once. A heartbeat sent while disconnected
 * waits in the client's reconnect buffer; the control plane judges liveness from arrival times only.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Immediate | undefined;
  private readonly subject: string;

  constructor(private readonly s: HeartbeatSource) {
    this.subject = subjects.heartbeat(s.namespace, s.edgeId);
  }

  /** Sends the first heartbeat, waits until the server has it, then keeps beating. */
  async start(): Promise<void> {
    this.send(false);
    await this.s.nc.flush();
    this.timer = setInterval(() => this.send(false), this.s.heartbeatMs);
    this.timer.unref();
  }

  /** Sends a heartbeat now (coalesced): how the edge acknowledges a config change without waiting for the next beat. */
  beatNow(): void {
    if (!this.timer || this.soon) return;
    this.soon = setImmediate(() => {
      this.soon = undefined;
      if (this.timer) this.send(false);
    });
  }

  /** Stops beating and announces the departure (flushed by the node's drain). */
  stop(announce = true): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.soon) clearImmediate(this.soon);
    this.soon = undefined;
    if (announce) this.send(true);
  }

  private send(leaving: boolean): void {
    if (this.s.nc.isClosed()) return;
    const c = this.s.config;
    const lastError = c?.lastError();
    const body: HeartbeatBody = {
      version: EDGE_VERSION,
      namespace: this.s.namespace,
      edgeId: this.s.edgeId,
      health: 'ok',
      appliedRevision: c?.appliedRevision() ?? 0,
      ...(c ? { configDigest: c.configDigest() } : {}),
      ...(lastError === undefined ? {} : { lastError: lastError.slice(0, 1024) }),
      outboxDepth: this.s.outboxDepth(),
      reconnects: this.s.reconnects(),
      heartbeatMs: this.s.heartbeatMs,
      time: Date.now(),
      ...(leaving ? { leaving: true } : {}),
    };
    try {
      this.s.nc.publish(this.subject, encodeHeartbeat(body));
    } catch (err) {
      this.s.log.warn({ err: String(err) }, 'heartbeat not sent');
    }
  }
}
