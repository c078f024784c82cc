import { DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { PAYLOAD_STREAM, orderedConsumer } from './streams.js';

/**
 * Reads one edge's payloads from `HS_PAYLOADS` in stream order, from a given sequence, with an ordered consumer
 * (no acks: the edge's dispatch record is the cursor, so a new owner starts where the record says). It can be
 * paused (the lane is far behind) and started again from any sequence; a reader that went quiet is restarted
 * by its lane.
 *
 * It reads `subject` (published and sourced payloads, `hs.*.<ns>.<edge>`; only the published ones while the stream
 * sources nothing, see {@link orderedConsumer}: the lane starts it again once sourced payloads show up).
 */
export class EdgeReader {
  private messages: ConsumerMessages | undefined;
  private generation = 0;

  constructor(
    private readonly js: JetStreamClient,
    readonly subject: string,
    private readonly onMessage: (m: JsMsg) => void,
    private readonly onError: (err: unknown) => void,
  ) {}

  get running(): boolean {
    return this.messages !== undefined;
  }

  /** (Re)starts reading at `fromSeq`. */
  async start(fromSeq: number): Promise<void> {
    this.stop();
    const generation = ++this.generation;
    try {
      const consumer = await orderedConsumer(this.js, PAYLOAD_STREAM, this.subject, {
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: Math.max(1, fromSeq),
      });
      if (generation !== this.generation) return;
      const messages = await consumer.consume({
        max_messages: 512,
        callback: (m) => {
          if (generation === this.generation) this.onMessage(m);
        },
      });
      if (generation !== this.generation) {
        messages.stop();
        return;
      }
      this.messages = messages;
      void messages.closed().then(
        () => undefined,
        (err: unknown) => {
          if (generation === this.generation) {
            this.messages = undefined;
            this.onError(err);
          }
        },
      );
    } catch (err) {
      if (generation === this.generation) this.onError(err);
    }
  }

  stop(): void {
    this.generation++;
    this.messages?.stop();
    this.messages = undefined;
  }
}
