// @ts-check
// The edge half of cache-sync: a tiny in-memory cache. Every second it looks a key up; on a miss it fills the entry
// and tells the control plane (`cache.miss`, Up). When the control plane says a key changed
// (`cache.invalidate`, Down), it evicts it, so the next lookup misses again. Its config (`plugin.cache-edge`, synced
// from the control plane: `hubspoke config set plugin.cache-edge '{"lookupMs":250}' --admin ADDR --admin-token FILE`) sets how often it
// looks up; a change is applied at once and announced as a Local `cache.config` event.
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

  lookupMs = 1000;
  /** @type {NodeJS.Timeout | undefined} */
  timer = undefined;

  getConfigSchema() {
    return {
      type: 'object',
      properties: { lookupMs: { type: 'integer', minimum: 100, maximum: 60000, default: 1000 } },
      additionalProperties: false,
    };
  }

  /** @param {Context} _ctx @param {Record<string, unknown>} config */
  async initialize(_ctx, config) {
    this.lookupMs = /** @type {number} */ (config['lookupMs'] ?? 1000);
  }

  /** @param {Context} ctx */
  async onSessionReady(ctx) {
    const { events, logger } = ctx.services;
    await events.subscribe('cache.invalidate', (ev) => {
      const { key } = /** @type {{ key: string }} */ (ev.payload);
      if (this.cache.delete(key)) logger.info('evicted', { key });
    });
    this.schedule(ctx);
    ctx.signal.addEventListener('abort', () => clearInterval(this.timer), { once: true });
  }

  /** @param {Context} ctx @param {import('@hubspoke/sdk').ConfigChange} change */
  async onConfigChange(ctx, change) {
    if (change.key !== 'plugin.cache-edge') return;
    const value = /** @type {{ lookupMs?: number } | undefined} */ (change.value);
    this.lookupMs = change.deleted ? 1000 : (value?.lookupMs ?? 1000);
    this.schedule(ctx);
    await ctx.services.events.publish(
      'cache.config',
      { lookupMs: this.lookupMs, revision: change.revision },
      Direction.Local,
    );
  }

  /** @param {Context} ctx */
  schedule(ctx) {
    clearInterval(this.timer);
    const { logger } = ctx.services;
    this.timer = setInterval(
      () => this.lookup(ctx).catch((err) => logger.error('lookup failed', { err: String(err) })),
      this.lookupMs,
    );
  }

  /** @param {Context} ctx */
  async lookup(ctx) {
    const key = /** @type {string} */ (KEYS[this.next++ % KEYS.length]);
    if (this.cache.has(key)) return;
    this.cache.set(key, { value: `value of ${key}`, loadedAt: Date.now() }); // as if loaded from the origin
    await ctx.services.events.publish('cache.miss', { key }, Direction.Up);
  }
}
