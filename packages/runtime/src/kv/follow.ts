import type { KV, KvWatchEntry } from '@nats-io/kv';
import type { QueuedIterator } from '@nats-io/transport-node';

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
  const initial = (await kv.status()).values;
  const watch = await kv.watch({ key });
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
