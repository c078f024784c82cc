import { Buffer } from 'node:buffer';
import {
  CONTENT_TYPE_BYTES,
  CONTENT_TYPE_JSON,
  Direction,
  EnvelopeEncoder,
  ErrorCode,
  HubspokeError,
  type Limits,
  type SendOptions,
  type SendResult,
} from '@hubspoke/sdk';
import { assertMetadata, assertPayloadSize } from '@hubspoke/sdk/internal';
import { Backoff, handlerScope, type JetStreamPublisher } from '@hubspoke/runtime';
import type { Outbox } from './outbox.js';

/** Where `sendToControl` puts a payload: the leaf outbox, or straight to the hub. */
export type PayloadRoute =
  | { kind: 'outbox'; outbox: Outbox }
  | { kind: 'direct'; publisher: JetStreamPublisher; subject: string; waitMs: number };

function toBytes(payload: Uint8Array | object): { bytes: Uint8Array; contentType: string } {
  if (payload instanceof Uint8Array) return { bytes: payload, contentType: CONTENT_TYPE_BYTES };
  if (payload === null || typeof payload !== 'object') {
    throw new HubspokeError(
      ErrorCode.InvalidArgument,
      'sendToControl takes a Uint8Array or a JSON-serialisable object',
    );
  }
  let json: string;
  try {
    json = JSON.stringify(payload);
  } catch (cause) {
    throw new HubspokeError(ErrorCode.InvalidArgument, 'sendToControl payload is not JSON-serialisable', { cause });
  }
  return { bytes: Buffer.from(json), contentType: CONTENT_TYPE_JSON };
}

/**
 * `sendToControl` for one plugin: checks the limits (nothing is stored when one is broken), encodes the
 * envelope and hands it to the route. Through a leaf it resolves once the outbox has it on disk; direct, once
 * the hub's JetStream has it, retrying through an outage of up to `waitMs` before `HS_ERR_NOT_CONNECTED`.
 */
export class PayloadSender {
  private readonly encoder: EnvelopeEncoder;
  private directPending = 0;

  constructor(
    plugin: string,
    edgeId: string,
    namespace: string,
    private readonly route: PayloadRoute,
    private readonly limits: Readonly<Limits>,
    private readonly nextId: () => string,
  ) {
    this.encoder = new EnvelopeEncoder({ origin: `plugin:${plugin}@${edgeId}`, namespace, edgeId });
  }

  async send(payload: Uint8Array | object, opts?: SendOptions): Promise<SendResult> {
    const { bytes, contentType } = toBytes(payload);
    assertPayloadSize(this.limits, bytes.length);
    assertMetadata(this.limits, opts?.metadata, opts);
    const scope = handlerScope.getStore();
    const id = this.nextId();
    const data = this.encoder.encode({
      id,
      topic: '',
      direction: Direction.Up,
      timeUnixMs: Date.now(),
      contentType,
      payload: bytes,
      correlationId: opts?.correlationId ?? scope?.correlationId,
      metadata: opts?.metadata,
      traceparent: scope?.traceparent,
    });
    if (this.route.kind === 'outbox') {
      await this.route.outbox.append(data, id);
      return { id, pending: this.route.outbox.pending };
    }
    this.directPending++;
    try {
      await this.sendDirect(data, id);
      return { id, pending: this.directPending - 1 };
    } finally {
      this.directPending--;
    }
  }

  /** Sends bytes already encoded (a durable event) straight to the hub, waiting through an outage. */
  sendEncoded(data: Uint8Array, id: string): Promise<void> {
    return this.sendDirect(data, id);
  }

  private async sendDirect(data: Uint8Array, id: string): Promise<void> {
    const r = this.route as Extract<PayloadRoute, { kind: 'direct' }>;
    const deadline = Date.now() + r.waitMs;
    const backoff = new Backoff({ initialMs: 100, maxMs: 2000 });
    for (;;) {
      try {
        const left = Math.max(100, deadline - Date.now());
        // Short attempts: a publish made while the connection was down can be lost on the way back.
        await r.publisher.publish(r.subject, data, { msgId: id, timeoutMs: Math.min(2000, left) });
        return;
      } catch (err) {
        if ((err as HubspokeError).code !== ErrorCode.NotConnected || Date.now() + backoff.peek() > deadline) {
          throw new HubspokeError(
            ErrorCode.NotConnected,
            `payload ${id} was not accepted by the hub within ${r.waitMs} ms (this edge has no outbox: ` +
              `connect it through a leaf for offline durability): ${(err as Error).message}`,
            { cause: err },
          );
        }
        await backoff.wait();
      }
    }
  }
}
