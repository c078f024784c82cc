import { subjects, type JetStreamPublisher } from '@hubspoke/runtime';
import type { Middleware } from './pipeline.js';

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

  async put(ns: string, edge: string, seq: number, data: Uint8Array, info: DeadLetterInfo): Promise<void> {
    await this.publisher.publish(subjects.deadLetter(ns, edge), data, {
      msgId: `dlq-${seq}`,
      headers: {
        'Hs-Dlq-Reason': header(info.reason) || 'unknown',
        'Hs-Dlq-Plugin': header(info.plugin) || '-',
        'Hs-Dlq-Attempts': String(info.attempts),
        'Hs-Dlq-Stream-Seq': String(seq),
        'Hs-Dlq-At': new Date().toISOString(),
      },
    });
  }
}

/**
 * Puts what the steps inside rejected into the dead-letter stream (retrying the write until it lands or the
 * replica stops), so that the edge's next payload goes on at once.
 */
export function deadLetterStep(
  sink: Pick<DeadLetters, 'put'>,
  hooks: {
    stopping(): boolean;
    sleep(ms: number): Promise<void>;
    onDeadLetter(info: DeadLetterInfo & { id?: string }): void;
  },
): Middleware {
  return (next) => async (d) => {
    const r = await next(d);
    if (r.kind !== 'reject') return r;
    const info = { reason: r.reason, plugin: r.plugin, attempts: r.attempts };
    for (let wait = 100; ; wait = Math.min(wait * 2, 2000)) {
      try {
        await sink.put(d.ns, d.edge, d.seq, d.data, info);
        break;
      } catch {
        if (hooks.stopping()) return { kind: 'stopped' };
        await hooks.sleep(wait);
      }
    }
    hooks.onDeadLetter({ ...info, ...(d.env ? { id: d.env.id } : {}) });
    return { kind: 'dead-lettered', ...info };
  };
}
