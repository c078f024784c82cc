import type { KV, KvWatchEntry } from '@nats-io/kv';
import type { QueuedIterator } from '@nats-io/transport-node';
import { OPEN_RETRY_MS } from '../jetstream/ensure.js';
import { withJetStream } from '../jetstream/unavailable.js';

/**
 * Follows a KV bucket: calls `onEntry` for every current value under `key`, then for every change, made by
 * anyone. Resolves once the current values have been given (so a mirror built from them is complete), with the
 * watch to stop when done. `key` must cover every key the bucket holds (the bucket's count of values tells
 * when the initial load is complete).
 */
export async function followBucket(
  kv: KV,
  onEntry: (e: KvWatchEntry) => void,
  key = '>',
): Promise<QueuedIterator<KvWatchEntry>> {
  const what = `KV bucket ${(kv as { bucket?: string }).bucket ?? '?'}`;
  const initial = (await withJetStream(what, () => kv.status(), OPEN_RETRY_MS)).values;
  const watch = await withJetStream(what, () => kv.watch({ key }), OPEN_RETRY_MS);
  let loaded!: () => void;
  const done = new Promise<void>((resolve) => (loaded = resolve));
  if (initial === 0) loaded();
  void (async () => {
    for await (const e of watch) {
      onEntry(e);
      if (e.isUpdate || e.delta === 0) loaded();
    }
    loaded();
  })();
  await done;
  return watch;
}
