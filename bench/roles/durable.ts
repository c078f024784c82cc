// Durable edge payloads (worker side). Kinds:
//   edge-leaf     an edge node that starts its own leaf nats-server (startEdgeNode({ leaf: { hubUrl } })): sendToControl
//                 → outbox stream in the leaf's JetStream → forwarder → the hub's HS_PAYLOADS
//   edge-direct   an edge node connected straight to the hub: sendToControl publishes to HS_PAYLOADS, no outbox
//   control       a control plane whose one EdgePayloadReceiver returns true (and counts)
//   raw-pub       the raw twin's publisher: `js.publish()` or a pipelined core publish parsing PubAcks on one inbox
//   raw-consume   the raw twin's consumer: a durable pull consumer, consume() with an ack() per message
//   raw-leaf-pub  the leaf-topology twin's publisher: pipelined publishes into a stream of a leaf nats-server
//   raw-leaf-consume  its consumer at the hub: a hub stream sourcing the leaf's stream (cross-domain), consumed
//                 like raw-consume. The same topology as an edge behind a leaf, without hubspoke
// Senders keep at most `window` sends in flight (the next starts when one settles); every payload carries the
// sender's clock (lib/util.ts), so receivers measure send → handled. Each command reports this process's CPU
// time over the round, and the edge-leaf kind its leaf nats-server's too (/proc).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as immediate, setTimeout as sleep } from 'node:timers/promises';
import { startControlPlane, type ControlPlane } from '@hubspoke/control-plane';
import { startEdgeNode, type EdgeNode } from '@hubspoke/edge-node';
import { BasePlugin, type Context, type EdgePayload, type EdgePayloadReceiver, type EdgeService } from '@hubspoke/sdk';
import {
  AckPolicy,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { connect, createInbox, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type { Commands } from '../worker.js';
import { now, readStamp, stampedPayload, Tally } from '../lib/util.js';

type Kind = 'edge-leaf' | 'edge-direct' | 'control' | 'raw-pub' | 'raw-consume' | 'raw-leaf-pub' | 'raw-leaf-consume';

export const RAW_STREAM = 'HSBENCH';
const RAW_SUBJECT = 'hsbench.pay.e';
/** The leaf twin: the leaf's stream (JetStream domain RAW_LEAF_DOMAIN) and the hub stream sourcing it. */
export const RAW_LEAF_DOMAIN = 'rawleaf';
const LEAF_STREAM = 'HSBENCH_LEAF';
const LEAF_SUBJECT = 'hsbench.leaf.e';
const LOG = { level: process.env['HUBSPOKE_LOG_LEVEL'] ?? 'error' };

/** CPU seconds (user + system) a process has used, from /proc/<pid>/stat; undefined when unreadable. */
export function procCpuSeconds(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime: fields 14 and 15, in clock ticks (USER_HZ 100)
  } catch {
    return undefined;
  }
}

const selfCpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

class BenchSender extends BasePlugin {
  edge: EdgeService | undefined;
  constructor() {
    super({ name: 'bench-sender', version: '1.0.0' });
  }
  override async initialize(ctx: Context): Promise<void> {
    this.edge = ctx.services.edge;
  }
}

class BenchReceiver extends BasePlugin implements EdgePayloadReceiver {
  tally: Tally | undefined;
  /** Latency measured on edgeTimestamp (ms resolution) instead of the payload's stamp, as a cross-check. */
  edgeTsLat: number[] = [];
  /** When each payload was handled here ({@link now}), for the takeover measurement. */
  hitTimes: number[] = [];
  constructor() {
    super({ name: 'bench-receiver', version: '1.0.0' });
  }
  async acceptEdgePayload(_ctx: Context, p: EdgePayload): Promise<boolean> {
    const t = this.tally;
    if (t) {
      if (this.edgeTsLat.length < t.expected) this.edgeTsLat.push(Date.now() - p.edgeTimestamp.getTime());
      t.hit(readStamp(p.payload));
    }
    this.hitTimes.push(now());
    return true;
  }
}

/**
 * Runs `count` sends with at most `window` unsettled; with `rate` (msg/s) paced on a 1 ms timer. `send(done)`
 * starts one and calls `done(ok)` when it settles. Resolves when all settled.
 */
async function windowed(
  count: number,
  window: number,
  rate: number | undefined,
  send: (done: (ok: boolean) => void) => void,
): Promise<{ t0: number; ms: number; failed: number }> {
  let sent = 0;
  let settled = 0;
  let failed = 0;
  let wake: (() => void) | undefined;
  const done = (ok: boolean): void => {
    settled++;
    if (!ok) failed++;
    const w = wake;
    wake = undefined;
    w?.();
  };
  const t0 = now();
  while (sent < count) {
    const due = rate ? Math.min(count, Math.floor(((now() - t0) / 1000) * rate) + 1) : count;
    const room = Math.min(due - sent, window - (sent - settled));
    for (let i = 0; i < room; i++, sent++) send(done);
    if (sent >= count) break;
    if (sent - settled >= window) await new Promise<void>((r) => (wake = r));
    else if (rate) await sleep(1);
    else await immediate();
  }
  while (settled < count) await new Promise<void>((r) => (wake = r));
  return { t0, ms: now() - t0, failed };
}

export function create(): Commands {
  let kind: Kind;
  let edge: EdgeNode | undefined;
  let control: ControlPlane | undefined;
  let nc: NatsConnection | undefined;
  let js: JetStreamClient;
  let jsm: JetStreamManager;
  let consumeMsgs: ConsumerMessages | undefined;
  let tally: Tally | undefined;
  let stateDir: string | undefined;
  const sender = new BenchSender();
  const receiver = new BenchReceiver();
  let cpu0 = 0;
  let leafCpu0: number | undefined;

  const leafPid = (): number | undefined => edge?.leaf?.pid;

  return {
    /** `url`: the hub (every node of a cluster); `replicas`: of the control plane's state, or of the raw stream. */
    async setup(a: {
      kind: Kind;
      url: string | string[];
      hubLeafUrl?: string | string[];
      edgeId?: string;
      replicas?: 1 | 3 | 5;
    }) {
      kind = a.kind;
      const edgeId = a.edgeId ?? 'b0';
      if (kind === 'edge-leaf' || kind === 'edge-direct') {
        stateDir = mkdtempSync(join(tmpdir(), 'hubspoke-bench-durable-'));
        edge = await startEdgeNode({
          ...(kind === 'edge-leaf' ? { leaf: { hubUrl: a.hubLeafUrl as string | string[] } } : { natsUrl: a.url }),
          edgeId,
          namespace: 'bench',
          log: LOG,
          plugins: [sender],
          stateDir,
          connectTimeoutMs: 20000,
        });
        return { pid: process.pid, mode: edge.payloadMode, leafPid: leafPid() };
      }
      if (kind === 'control') {
        control = await startControlPlane({
          natsUrl: a.url,
          log: LOG,
          plugins: [receiver],
          connectTimeoutMs: 10000,
          ...(a.replicas === undefined ? {} : { jetstream: { replicas: a.replicas } }),
        });
        return { pid: process.pid, active: control.payloads.active };
      }
      nc = await connect({ servers: a.url });
      js = jetstream(nc);
      jsm = await jetstreamManager(nc);
      if (kind === 'raw-leaf-pub') {
        await jsm.streams.add({ name: LEAF_STREAM, subjects: [LEAF_SUBJECT] });
      }
      if (kind === 'raw-consume' || kind === 'raw-leaf-consume') {
        await jsm.streams.add(
          kind === 'raw-consume'
            ? { name: RAW_STREAM, subjects: ['hsbench.pay.>'], num_replicas: a.replicas ?? 1 }
            : { name: RAW_STREAM, sources: [{ name: LEAF_STREAM, external: { api: `$JS.${RAW_LEAF_DOMAIN}.API` } }] },
        );
        await jsm.consumers.add(RAW_STREAM, {
          durable_name: 'bench',
          ack_policy: AckPolicy.Explicit,
          max_ack_pending: 4096,
        });
        const c = await js.consumers.get(RAW_STREAM, 'bench');
        consumeMsgs = await c.consume({
          max_messages: 1000,
          callback: (m) => {
            m.ack();
            tally?.hit(readStamp(m.data));
          },
        });
      }
      return { pid: process.pid };
    },

    /** Receivers: count the next `count` payloads. */
    async arm(a: { count: number }) {
      tally = new Tally(a.count, true);
      receiver.tally = tally;
      receiver.edgeTsLat = [];
      cpu0 = selfCpu();
      return {};
    },

    async wait(a: { idleMs: number }) {
      const r = await (tally as Tally).wait(a.idleMs);
      const lat = receiver.edgeTsLat.sort((x, y) => x - y);
      const pct = (p: number) => lat[Math.min(lat.length - 1, Math.max(0, Math.ceil((p / 100) * lat.length) - 1))];
      return {
        ...r,
        cpuSeconds: selfCpu() - cpu0,
        ...(kind === 'control'
          ? { edgeTsP50: pct(50), edgeTsP99: pct(99), counters: { ...control?.payloads.counters } }
          : {}),
      };
    },

    /**
     * Senders: `count` payloads of `size` bytes, at most `window` in flight; `rate` paces them. `mode` picks the
     * raw publisher's method. Resolves once every send settled.
     */
    async send(a: { count: number; size: number; window: number; rate?: number; mode?: 'js' | 'pipelined' }) {
      const c0 = selfCpu();
      const l0 = (leafCpu0 = procCpuSeconds(leafPid()));
      let r: { t0: number; ms: number; failed: number };
      if (kind === 'edge-leaf' || kind === 'edge-direct') {
        const svc = sender.edge as EdgeService;
        r = await windowed(
          a.count,
          a.window,
          a.rate,
          (done) =>
            void svc.sendToControl(stampedPayload(a.size)).then(
              () => done(true),
              () => done(false),
            ),
        );
      } else if (a.mode === 'js') {
        r = await windowed(
          a.count,
          a.window,
          a.rate,
          (done) =>
            void js.publish(RAW_SUBJECT, stampedPayload(a.size)).then(
              () => done(true),
              () => done(false),
            ),
        );
      } else {
        const conn = nc as NatsConnection;
        const inbox = createInbox();
        const waiting: ((ok: boolean) => void)[] = [];
        let head = 0;
        const sub: Subscription = conn.subscribe(inbox, {
          callback: (_e, m) => {
            const ack = JSON.parse(m.string()) as { seq?: number; error?: unknown };
            const done = waiting[head++];
            done?.(!ack.error && !!ack.seq);
          },
        });
        await conn.flush();
        const subject = kind === 'raw-leaf-pub' ? LEAF_SUBJECT : RAW_SUBJECT;
        r = await windowed(a.count, a.window, a.rate, (done) => {
          waiting.push(done);
          conn.publish(subject, stampedPayload(a.size), { reply: inbox });
        });
        sub.unsubscribe();
      }
      const l1 = procCpuSeconds(leafPid());
      return {
        ...r,
        cpuSeconds: selfCpu() - c0,
        leafCpuSeconds: l0 !== undefined && l1 !== undefined ? l1 - l0 : undefined,
      };
    },

    /** Control planes: the first time a payload was handled here at or after `t` ({@link now}), and how many. */
    async hitsAfter(a: { t: number }) {
      const after = receiver.hitTimes.filter((x) => x >= a.t);
      return { first: after[0], count: after.length, total: receiver.hitTimes.length };
    },

    /** Edge senders: CPU of the leaf since the last send started, and what is still in the outbox. */
    async after() {
      const l1 = procCpuSeconds(leafPid());
      return {
        leafCpuSeconds: leafCpu0 !== undefined && l1 !== undefined ? l1 - leafCpu0 : undefined,
        pending: edge?.pendingPayloads() ?? 0,
      };
    },

    async close() {
      await consumeMsgs?.close().catch(() => undefined);
      if (kind === 'raw-consume' || kind === 'raw-leaf-consume')
        await jsm.streams.delete(RAW_STREAM).catch(() => undefined);
      await nc?.close();
      await edge?.close();
      await control?.close();
      if (stateDir) rmSync(stateDir, { recursive: true, force: true });
      return {};
    },
  };
}
