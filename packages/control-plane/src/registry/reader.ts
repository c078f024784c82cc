import type { EdgeInfo } from '@hubspoke/sdk';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { EDGES_BUCKET, byNamespaceAndId, decodeRecord, toEdgeInfo, type EdgeRecord } from './record.js';

async function openBucket(nc: NatsConnection): Promise<KV | undefined> {
  try {
    return await new Kvm(nc).open(EDGES_BUCKET);
  } catch (err) {
    if (/not found/i.test(String(err))) return undefined;
    throw err;
  }
}

async function records(kv: KV): Promise<EdgeRecord[]> {
  const keys: string[] = [];
  for await (const k of await kv.keys()) keys.push(k);
  const out: EdgeRecord[] = [];
  for (const k of keys) {
    const e = await kv.get(k);
    const r = e?.operation === 'PUT' ? decodeRecord(e.value) : undefined;
    if (r) out.push(r);
  }
  return out;
}

/**
 * The edge registry read straight from the hub's KV bucket, for operator tools holding hub credentials. The
 * state is judged with this machine's clock against the control plane's `lastSeen`: keep clocks in sync.
 */
export async function readEdgeRegistry(nc: NatsConnection, now = Date.now()): Promise<EdgeInfo[]> {
  const kv = await openBucket(nc);
  if (!kv) return [];
  return (await records(kv)).sort(byNamespaceAndId).map((r) => toEdgeInfo(r, now));
}

/** Removes an edge from the registry by id; resolves to whether it was there. */
export async function forgetEdge(nc: NatsConnection, edgeId: string): Promise<boolean> {
  const kv = await openBucket(nc);
  if (!kv) return false;
  const found = (await records(kv)).filter((r) => r.edgeId === edgeId);
  for (const r of found) await kv.delete(`${r.namespace}.${r.edgeId}`);
  return found.length > 0;
}
