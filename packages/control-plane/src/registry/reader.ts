import type { EdgeInfo } from '@hubspoke/sdk';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { ALL } from '@hubspoke/runtime';
import { CONFIG_BUCKET } from '../config/store.js';
import { EDGES_BUCKET, byNamespaceAndId, decodeRecord, toEdgeInfo, type EdgeRecord } from './record.js';

async function openBucket(nc: NatsConnection, bucket = EDGES_BUCKET): Promise<KV | undefined> {
  try {
    return await new Kvm(nc).open(bucket);
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
  const latest = await latestByScope(nc);
  const latestFor = (ns: string): number => Math.max(latest.get(ALL) ?? 0, latest.get(ns) ?? 0);
  return (await records(kv)).sort(byNamespaceAndId).map((r) => toEdgeInfo(r, now, latestFor(r.namespace)));
}

/** The highest config revision of each scope (`_all` or a namespace), tombstones included. */
async function latestByScope(nc: NatsConnection): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const kv = await openBucket(nc, CONFIG_BUCKET);
  if (!kv) return out;
  const keys: string[] = [];
  for await (const k of await kv.keys()) keys.push(k);
  for (const k of keys) {
    const e = await kv.get(k);
    const scope = k.slice(0, k.indexOf('.'));
    if (e && e.revision > (out.get(scope) ?? 0)) out.set(scope, e.revision);
  }
  return out;
}

/** Removes an edge from the registry by id; resolves to whether it was there. */
export async function forgetEdge(nc: NatsConnection, edgeId: string): Promise<boolean> {
  const kv = await openBucket(nc);
  if (!kv) return false;
  const found = (await records(kv)).filter((r) => r.edgeId === edgeId);
  for (const r of found) await kv.delete(`${r.namespace}.${r.edgeId}`);
  return found.length > 0;
}
