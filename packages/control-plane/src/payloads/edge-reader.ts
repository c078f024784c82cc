import { DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JsMsg } from '@nats-io/jetstream';
import { PAYLOAD_STREAM } from './streams.js';

/**
 * Reads one edge's payloads from `HS_PAYLOADS` in stream order, from a given sequence, with an ordered consumer
 * (no acks: the edge's dispatch record is the cursor, so a new owner starts where the record says). It can be
 * paused (the lane is far behind) and started again from any sequence; a reader that went quiet is restarted
 * by its lane.
 *
 * It reads `subject` (published and sourced payloads, `hs.*.<ns>.<edge>`). nats-server refuses that filter while
 * the stream sources nothing (it is not within the stream's own subjects): then it reads `fallback` (the published
 * ones, all there is), and the lane starts it again once sourced payloads show up (the stream then has a source).
 */
export class EdgeReader {
  private messages: ConsumerMessages | undefined;
  private generation = 0;

  constructor(
    private readonly js: JetStreamClient,
    readonly subject: string,
    private readonly fallback: string,
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
      const from = { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, fromSeq) };
      const consumer = await this.js.consumers
        .get(PAYLOAD_STREAM, { filter_subjects: this.subject, ...from })
        .catch((err: unknown) => {
          if (!/not a valid subset/i.test(String(err))) throw err;
          return this.js.consumers.get(PAYLOAD_STREAM, { filter_subjects: this.fallback, ...from });
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
