import type { KV } from '@nats-io/kv';
import type { JetStreamPublisher } from '@hubspoke/runtime';
import { DISPATCH_BUCKET } from './streams.js';

/** The last outbox position of an edge whose payload was handled (or dead-lettered), per outbox epoch. */
export interface EdgeRecord {
  epoch: string;
  seq: number;
}

/**
 * The durable record that makes dispatch exactly-once per edge beyond any dedup window: a payload whose
 * outbox sequence is at or below the record was dealt with already. It lives in a KV bucket at the hub and is
 * written after each payload, pipelined (the JetStream ack of the payload waits for the write).
 */
export class EdgeRecords {
  constructor(
    private readonly kv: KV,
    private readonly publisher: JetStreamPublisher,
  ) {}

  private key(ns: string, edge: string): string {
    return `edge.${ns}.${edge}`;
  }

  async read(ns: string, edge: string): Promise<EdgeRecord | undefined> {
    const e = await this.kv.get(this.key(ns, edge));
    if (!e || e.operation !== 'PUT') return undefined;
    try {
      const r = e.json<EdgeRecord>();
      return typeof r.seq === 'number' && typeof r.epoch === 'string' ? r : undefined;
    } catch {
      return undefined;
    }
  }

  /** Writes the record; resolves once JetStream has it. */
  write(ns: string, edge: string, r: EdgeRecord): Promise<unknown> {
    return this.publisher.publish(
      `$KV.${DISPATCH_BUCKET}.${this.key(ns, edge)}`,
      new TextEncoder().encode(JSON.stringify(r)),
    );
  }
}
