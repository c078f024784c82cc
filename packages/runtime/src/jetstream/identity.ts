import { randomBytes } from 'node:crypto';
import type { JetStreamManager, StreamInfo } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';

/**
 * Store identities. Every revision or sequence an edge keeps (config revisions, the last durable Down sequence)
 * counts in one store; when that store is rebuilt (state lost, or the edge moved to another hub) the numbers
 * start again, and an edge comparing them to what it kept would ignore the new store's objects. So each store
 * carries a random id of its own, sent with what comes from it, and an edge whose kept id differs starts over.
 * Not a stream's `created` time: nats-server 2.9.10 rewrites it on every `streams.update` (NATS-NOTES.md).
 */
export const newStoreId = (): string => randomBytes(12).toString('base64url');

/** The key of a KV bucket's store id: no config scope or plugin key starts with `_`. */
export const STORE_ID_KEY = '_store';

const dec = new TextDecoder();

/** The bucket's store id; the first opener writes one (create-if-absent: concurrent openers agree). */
export async function kvStoreId(kv: KV): Promise<string> {
  try {
    await kv.create(STORE_ID_KEY, newStoreId());
  } catch (err) {
    if (!/wrong last sequence|key exists/i.test(String(err))) throw err;
  }
  const e = await kv.get(STORE_ID_KEY);
  const id = e && e.operation === 'PUT' ? dec.decode(e.value) : '';
  if (!id) throw new Error(`the store id of the bucket is missing after it was written`);
  return id;
}

const IN_DESCRIPTION = /\[hubspoke store ([A-Za-z0-9_-]+)\]/;

/** A stream description carrying a store id; set when the stream is created (creation is atomic: one wins). */
export const storeDescription = (id: string = newStoreId()): string => `[hubspoke store ${id}]`;

/** The store id written in a stream's description, if any. */
export function streamStoreIdOf(info: StreamInfo): string | undefined {
  return IN_DESCRIPTION.exec(info.config.description ?? '')?.[1];
}

/**
 * The stream's store id, kept in its description (`[hubspoke store <id>]`), which the stream gets when it is
 * created ({@link storeDescription}). A stream created before ids existed gets one here, on first use; two openers
 * racing on such a stream may both write: the description read back afterwards wins, and readers take the id from
 * the stream's info again whenever they look (so they converge on the one the stream keeps).
 */
export async function streamStoreId(jsm: JetStreamManager, stream: string): Promise<string> {
  const info = await jsm.streams.info(stream);
  const have = streamStoreIdOf(info);
  if (have) return have;
  const description = `${info.config.description ?? ''} ${storeDescription()}`.trim();
  await jsm.streams.update(stream, { ...info.config, description });
  const again = streamStoreIdOf(await jsm.streams.info(stream));
  if (!again) throw new Error(`stream ${stream}: the store id was not kept in its description`);
  return again;
}
