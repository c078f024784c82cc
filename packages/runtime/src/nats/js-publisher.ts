import { ErrorCode, HubspokeError } from '@hubspoke/sdk';
import { headers, nuid, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';

/** A JetStream publish acknowledgement. */
export interface PubAck {
  stream: string;
  seq: number;
  duplicate: boolean;
}

/** A JetStream refusal, with its API error code (10077: maximum messages exceeded, 10078: maximum bytes…). */
export class JetStreamPublishError extends HubspokeError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly jsErrCode: number | undefined,
  ) {
    super(code, message);
  }
}

/** One decoder for every PubAck (making one per PubAck was 2% of an edge's time at full speed). */
const decoder = new TextDecoder();

/** nats-server's PubAck as it writes it (fields in its struct's order), without an error. */
const PLAIN_PUB_ACK = /^\{"stream":"([^"\\]*)"(?:,"domain":"[^"\\]*")?,"seq":(\d+)(,"duplicate":true)?\}$/;

/**
 * A PubAck of the usual shape read without JSON.parse (once per payload at an edge: JSON.parse and its object
 * were its largest single cost), or undefined for anything else (an error, another shape), which JSON.parse reads.
 */
export function parsePlainPubAck(text: string): PubAck | undefined {
  const m = PLAIN_PUB_ACK.exec(text);
  return m ? { stream: m[1] as string, seq: Number(m[2]), duplicate: m[3] !== undefined } : undefined;
}

const encoder = new TextEncoder();
/** An id that can go in a header line as it is (ours are ULIDs, `dlq-<seq>`, `redrive-<seq>`). */
const SAFE_ID = /^[\x21-\x7e]{1,256}$/;

/**
 * The headers of a publish that carries only `Nats-Msg-Id` (every payload an edge stores), encoded at once: nats.js
 * asks a publish's headers for nothing but `encode()`, and its MsgHdrs (a map, checks on each set, a string built on
 * encode) was 6% of an edge's time at full speed. `test/payloads/dispatch.test.ts` checks that the hub reads the id.
 */
function msgIdOnly(id: string): MsgHdrs {
  const bytes = encoder.encode(`NATS/1.0\r\nNats-Msg-Id: ${id}\r\n\r\n`);
  return { encode: () => bytes } as unknown as MsgHdrs;
}

interface Pending {
  resolve: (ack: PubAck) => void;
  reject: (err: Error) => void;
  deadline: number;
  subject: string;
}

/** Options of {@link JetStreamPublisher}. */
export interface JetStreamPublisherOptions {
  /** Prefix of the reply subjects (an edge's `_INBOX.<ns>.<edge>`, which its permissions allow). @default '_INBOX' */
  inboxPrefix?: string | undefined;
  /** How long to wait for a PubAck. @default 5000 */
  timeoutMs?: number | undefined;
}

/**
 * Publishes to JetStream with many publishes in flight on one reply subscription. `js.publish()` makes a
 * request with its own inbox and timer each time and tops out near 15 k msg/s here; this reaches the
 * server's rate (NATS-NOTES.md). A publish that meets no stream fails at once (no responders), one that
 * gets no answer fails after the timeout: both with `HS_ERR_NOT_CONNECTED`.
 */
export class JetStreamPublisher {
  private readonly prefix: string;
  private readonly pending = new Map<string, Pending>();
  private readonly sub: Subscription;
  private readonly sweeper: NodeJS.Timeout;
  private readonly timeoutMs: number;
  private seq = 0;

  constructor(
    private readonly nc: NatsConnection,
    opts: JetStreamPublisherOptions = {},
  ) {
    this.prefix = `${opts.inboxPrefix ?? '_INBOX'}.${nuid.next()}.`;
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.sub = nc.subscribe(`${this.prefix}*`, { callback: (err, msg) => this.onReply(err, msg) });
    this.sweeper = setInterval(() => this.sweep(), Math.min(250, this.timeoutMs)).unref();
  }

  /** Number of publishes waiting for their PubAck. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Publishes `data` on `subject`; resolves with the PubAck. `msgId` lets the stream drop a duplicate. */
  publish(
    subject: string,
    data: Uint8Array,
    opts?: { msgId?: string; headers?: Record<string, string>; timeoutMs?: number },
  ): Promise<PubAck> {
    const token = (++this.seq).toString(36);
    let h: MsgHdrs | undefined;
    if (opts?.msgId && !opts.headers && SAFE_ID.test(opts.msgId)) h = msgIdOnly(opts.msgId);
    else if (opts?.msgId || opts?.headers) {
      h = headers();
      if (opts.msgId) h.set('Nats-Msg-Id', opts.msgId);
      if (opts.headers) for (const [k, v] of Object.entries(opts.headers)) h.set(k, v);
    }
    return new Promise<PubAck>((resolve, reject) => {
      this.pending.set(token, { resolve, reject, deadline: Date.now() + (opts?.timeoutMs ?? this.timeoutMs), subject });
      try {
        this.nc.publish(subject, data, h ? { reply: this.prefix + token, headers: h } : { reply: this.prefix + token });
      } catch (err) {
        this.pending.delete(token);
        reject(
          new HubspokeError(ErrorCode.NotConnected, `cannot publish to ${subject}: ${String(err)}`, { cause: err }),
        );
      }
    });
  }

  private onReply(err: Error | null, msg: Msg): void {
    if (err) return;
    const token = msg.subject.slice(this.prefix.length);
    const p = this.pending.get(token);
    if (!p) return;
    this.pending.delete(token);
    if (msg.headers?.hasError) {
      const code = msg.headers.code;
      p.reject(
        new JetStreamPublishError(
          ErrorCode.NotConnected,
          code === 503
            ? `no JetStream stream answers on ${p.subject} (not connected to the hub, or the stream is missing)`
            : `JetStream refused ${p.subject}: ${code} ${msg.headers.description}`,
          undefined,
        ),
      );
      return;
    }
    const text = decoder.decode(msg.data);
    const plain = parsePlainPubAck(text);
    if (plain) {
      p.resolve(plain);
      return;
    }
    let ack: {
      stream?: string;
      seq?: number;
      duplicate?: boolean;
      error?: { code?: number; err_code?: number; description?: string };
    };
    try {
      ack = JSON.parse(text) as typeof ack;
    } catch (cause) {
      p.reject(new HubspokeError(ErrorCode.Internal, `unreadable PubAck for ${p.subject}`, { cause }));
      return;
    }
    if (ack.error) {
      p.reject(
        new JetStreamPublishError(
          ErrorCode.NotConnected,
          `JetStream refused ${p.subject}: ${ack.error.description ?? 'error'} (${ack.error.err_code ?? ack.error.code})`,
          ack.error.err_code,
        ),
      );
      return;
    }
    p.resolve({ stream: ack.stream ?? '', seq: ack.seq ?? 0, duplicate: ack.duplicate === true });
  }

  private sweep(): void {
    const now = Date.now();
    for (const [token, p] of this.pending) {
      if (p.deadline <= now) {
        this.pending.delete(token);
        p.reject(new HubspokeError(ErrorCode.NotConnected, `no PubAck for ${p.subject} in time`));
      }
    }
  }

  /** Stops: every publish still waiting is rejected with `HS_ERR_CLOSED`. */
  close(): void {
    clearInterval(this.sweeper);
    this.sub.unsubscribe();
    for (const p of this.pending.values()) p.reject(new HubspokeError(ErrorCode.Closed, 'the publisher is closed'));
    this.pending.clear();
  }
}
