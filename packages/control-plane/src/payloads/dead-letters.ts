import { subjects, type JetStreamPublisher } from '@hubspoke/runtime';
import type { JsMsg } from '@nats-io/jetstream';

/** Why a payload was dead-lettered. */
export interface DeadLetterInfo {
  reason: string;
  /** The receiver that failed; empty when none handled it or it did not decode. */
  plugin: string;
  /** Offers made. */
  attempts: number;
}

const header = (s: string) => s.replace(/[\r\n]+/g, ' ').slice(0, 1024);

/**
 * The dead-letter stream: the payload's bytes as they arrived, with headers saying why, who, how many
 * offers, and where it was in the payload stream. Its subject is derived from the edge the payload came
 * from (a fixed name), never from its content.
 */
export class DeadLetters {
  constructor(private readonly publisher: JetStreamPublisher) {}

  async put(ns: string, edge: string, m: JsMsg, info: DeadLetterInfo): Promise<void> {
    await this.publisher.publish(subjects.deadLetter(ns, edge), m.data, {
      msgId: `dlq-${m.seq}`,
      headers: {
        'Hs-Dlq-Reason': header(info.reason) || 'unknown',
        'Hs-Dlq-Plugin': header(info.plugin) || '-',
        'Hs-Dlq-Attempts': String(info.attempts),
        'Hs-Dlq-Stream-Seq': String(m.seq),
        'Hs-Dlq-At': new Date().toISOString(),
      },
    });
  }
}
