// @ts-check
// The edge half of cache-sync: a tiny in-memory cache. Every second it looks a key up; on a miss it fills the entry
// and tells the control plane (`cache.miss`, Up). When the control plane says a key changed
// (`cache.invalidate`, Down), it evicts it, so the next lookup misses again.
import { BasePlugin, Direction } from '@hubspoke/sdk';

/** @typedef {import('@hubspoke/sdk').Context} Context */

const KEYS = ['user:42', 'price:basket', 'product:9', 'user:7', 'price:shipping', 'product:3'];

export default class CacheEdge extends BasePlugin {
  /** @type {Map<string, { value: string; loadedAt: number }>} */
  cache = new Map();
  next = Math.floor(Math.random() * KEYS.length); // edges start at different keys

  constructor() {
    super({
      name: 'cache-edge',
      version: '1.0.0',
      description: 'edge cache that reports misses and obeys invalidations',
    });
  }

  /** @param {Context} ctx */
  async onSessionReady(ctx) {
    const { events, logger } = ctx.services;
    await events.subscribe('cache.invalidate', (ev) => {
      const { key } = /** @type {{ key: string }} */ (ev.payload);
      if (this.cache.delete(key)) logger.info('evicted', { key });
    });
    const timer = setInterval(
      () => this.lookup(ctx).catch((err) => logger.error('lookup failed', { err: String(err) })),
      1000,
    );
    ctx.signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  }

  /** @param {Context} ctx */
  async lookup(ctx) {
    const key = /** @type {string} */ (KEYS[this.next++ % KEYS.length]);
    if (this.cache.has(key)) return;
    this.cache.set(key, { value: `value of ${key}`, loadedAt: Date.now() }); // as if loaded from the origin
    await ctx.services.events.publish('cache.miss', { key }, Direction.Up);
  }
}
