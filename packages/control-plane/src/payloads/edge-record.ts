import type { KV } from '@nats-io/kv';
import { JetStreamPublishError, type JetStreamPublisher } from '@hubspoke/runtime';
import { DISPATCH_BUCKET } from './streams.js';

/**
 * Where dispatch stands for one edge. Written by the edge's owner only, with the revision it read (compare and
 * set), so it only moves forward and a replica that lost the edge cannot overwrite the new owner's progress.
 */
export interface EdgeRecord {
  /** Every payload of the edge at or before this `HS_PAYLOADS` sequence was dealt with: where reading resumes. */
  streamSeq: number;
  /** The outbox (its persistent id) and the last outbox position dealt with: a copy seen again is a duplicate. */
  epoch: string;
  seq: number;
  /** Sequences below `seq` that did not come yet (the hub stored later ones first): `[from, to]` ranges. */
  gaps?: [number, number][];
  /** The outbox before, for copies of its payloads still in flight when the edge got a new outbox. */
  prev?: { epoch: string; seq: number };
  /**
   * Payloads after `streamSeq` up to `through` may have been offered already (written before offering them):
   * the one at `first` `offered` times, the others at most once. A new owner counts `deliveryCount` on from there.
   */
  claim?: { through: number; first: number; offered: number };
}

/** A record with the revision it was read at (0: none yet). */
export interface VersionedRecord {
  record: EdgeRecord | undefined;
  revision: number;
}

/** Another replica wrote the record since it was read: this replica no longer owns the edge. */
export class RecordConflict extends Error {}

const WRONG_LAST_SEQUENCE = 10071;
const encoder = new TextEncoder();

export function parseRecord(raw: unknown): EdgeRecord | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const r = raw as Partial<EdgeRecord>;
  if (typeof r.epoch !== 'string' || typeof r.seq !== 'number') return undefined;
  return { ...r, streamSeq: typeof r.streamSeq === 'number' ? r.streamSeq : 0 } as EdgeRecord;
}

/** The per-edge records in the `hs-dispatch` bucket. */
export class EdgeRecords {
  constructor(
    private readonly kv: KV,
    private readonly publisher: JetStreamPublisher,
  ) {}

  private key(ns: string, edge: string): string {
    return `edge.${ns}.${edge}`;
  }

  async read(ns: string, edge: string): Promise<VersionedRecord> {
    const e = await this.kv.get(this.key(ns, edge));
    if (!e) return { record: undefined, revision: 0 };
    if (e.operation !== 'PUT') return { record: undefined, revision: e.revision };
    try {
      return { record: parseRecord(e.json<unknown>()), revision: e.revision };
    } catch {
      return { record: undefined, revision: e.revision };
    }
  }

  /**
   * Writes `r` if the record is still at `revision`; resolves to the new revision, or rejects with RecordConflict.
   * A write retried after its PubAck was lost (a hub restart) finds the record moved on by itself: when the
   * record holds exactly what was written, that revision is taken as this write's, not as a conflict.
   */
  async write(ns: string, edge: string, r: EdgeRecord, revision: number): Promise<number> {
    const json = JSON.stringify(r);
    try {
      const ack = await this.publisher.publish(`$KV.${DISPATCH_BUCKET}.${this.key(ns, edge)}`, encoder.encode(json), {
        headers: { 'Nats-Expected-Last-Subject-Sequence': String(revision) },
      });
      return ack.seq;
    } catch (err) {
      if (err instanceof JetStreamPublishError && err.jsErrCode === WRONG_LAST_SEQUENCE) {
        const now = await this.kv.get(this.key(ns, edge));
        if (now && now.operation === 'PUT' && now.revision > revision && now.string() === json) return now.revision;
        throw new RecordConflict(`the dispatch record of ${ns}/${edge} moved on (another replica owns the edge)`);
      }
      throw err;
    }
  }
}
