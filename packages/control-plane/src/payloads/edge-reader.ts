import {
  DeliverPolicy,
  type Consumer,
  type ConsumerMessages,
  type JetStreamClient,
  type JsMsg,
} from '@nats-io/jetstream';
import { PAYLOAD_STREAM, orderedConsumer } from './streams.js';

/** Messages asked for at a time. */
const BATCH = 512;
/** How long one ask waits for messages of an idle edge before it is made again. */
const EXPIRES_MS = 30_000;

/**
 * Reads one edge's payloads from `HS_PAYLOADS` in stream order, from a given sequence, with an ordered consumer
 * (no acks: the edge's dispatch record is the cursor, so a new owner starts where the record says). It asks for
 * BATCH messages at a time, and asks again only while `wanted()` says the lane has room: a lane far behind holds
 * the reader without the consumer being made again. (A `consume()` paused by stopping it, as before, re-created
 * the consumer each time and dropped the messages already on their way: 15% more messages than payloads went
 * through the control plane at full speed.) It can be started again from any sequence; a reader that went quiet
 * is restarted by its lane.
 *
 * It reads `subject` (published and sourced payloads, `hs.*.<ns>.<edge>`; only the published ones while the stream
 * sources nothing, see {@link orderedConsumer}: the lane starts it again once sourced payloads show up).
 */
export class EdgeReader {
  private batch: ConsumerMessages | undefined;
  private generation = 0;
  private wake: (() => void) | undefined;
  private reading = false;
  /** What the reader does now, for diagnostics. */
  private stage: 'stopped' | 'starting' | 'held' | 'fetching' = 'stopped';
  private startedAt = 0;
  private batches = 0;

  constructor(
    private readonly js: JetStreamClient,
    readonly subject: string,
    private readonly onMessage: (m: JsMsg) => void,
    private readonly onError: (err: unknown) => void,
    /** Whether the lane has room for another batch. */
    private readonly wanted: () => boolean,
  ) {}

  get running(): boolean {
    return this.reading;
  }

  /** For diagnostics: what the reader does, since when it reads, and how many batches it asked for. */
  state(): { stage: string; reading: boolean; sinceMs: number; batches: number } {
    return { stage: this.stage, reading: this.reading, sinceMs: Date.now() - this.startedAt, batches: this.batches };
  }

  /** (Re)starts reading at `fromSeq`. */
  async start(fromSeq: number): Promise<void> {
    this.stop();
    const generation = ++this.generation;
    this.stage = 'starting';
    this.startedAt = Date.now();
    try {
      const consumer = await orderedConsumer(this.js, PAYLOAD_STREAM, this.subject, {
        deliver_policy: DeliverPolicy.StartSequence,
        opt_start_seq: Math.max(1, fromSeq),
      });
      if (generation !== this.generation) return;
      this.reading = true;
      void this.loop(consumer, generation);
    } catch (err) {
      if (generation === this.generation) this.onError(err);
    }
  }

  /** The lane has room again: a reader held by `wanted()` asks for the next batch. */
  resume(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  stop(): void {
    this.generation++;
    this.reading = false;
    this.stage = 'stopped';
    this.batch?.stop();
    this.batch = undefined;
    this.resume();
  }

  private async loop(consumer: Consumer, generation: number): Promise<void> {
    try {
      while (generation === this.generation) {
        if (!this.wanted()) {
          this.stage = 'held';
          await new Promise<void>((resolve) => (this.wake = resolve));
          continue;
        }
        this.stage = 'fetching';
        this.batches++;
        // A callback instead of the iterator: one promise per batch, not one per message. nats.js's fetch
        // takes it as consume() does (the option is not in its FetchOptions type).
        const batch = await consumer.fetch({
          max_messages: BATCH,
          expires: EXPIRES_MS,
          callback: (m: JsMsg) => {
            if (generation === this.generation) this.onMessage(m);
          },
        } as Parameters<Consumer['fetch']>[0]);
        if (generation !== this.generation) {
          batch.stop();
          return;
        }
        this.batch = batch;
        await batch.closed();
      }
    } catch (err) {
      if (generation === this.generation) {
        this.reading = false;
        this.batch = undefined;
        this.onError(err);
      }
    }
  }
}
