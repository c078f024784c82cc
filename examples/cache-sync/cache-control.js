// @ts-check
// The control half of cache-sync: it hears every edge's `cache.miss` and decides which copies are now stale.
// Prices are global, so every edge drops them; user data is regional, so only the asking edge's namespace
// does; products never change. The invalidation carries the miss's id as its correlation id.
import { BasePlugin, Direction } from '@hubspoke/sdk';

/** @typedef {import('@hubspoke/sdk').Context} Context */

export default class CacheControl extends BasePlugin {
  constructor() {
    super({ name: 'cache-control', version: '1.0.0', description: 'tells edges which cached keys to drop' });
  }

  /** @param {Context} ctx */
  async onSessionReady(ctx) {
    const { events } = ctx.services;
    await events.subscribe('cache.miss', async (ev) => {
      const { key } = /** @type {{ key: string }} */ (ev.payload);
      if (key.startsWith('price:')) {
        await events.publish('cache.invalidate', { key }, Direction.Down, { correlationId: ev.id });
      } else if (key.startsWith('user:') && ev.namespace) {
        await events.publish('cache.invalidate', { key }, Direction.Down, {
          correlationId: ev.id,
          namespace: ev.namespace,
        });
      }
    });
  }
}
