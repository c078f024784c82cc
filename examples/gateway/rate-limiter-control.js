// @ts-check
// The control-plane half of the rate limiter: sends each app's per-minute limit Down to every edge (from its
// config `plugin.rate-limiter-control` = { limits: { <appId>: perMinute } }, at start and on every change, and to
// an edge that asks with `ratelimit.sync` when it starts), and sums the usage every edge sends Up each second.
import { BasePlugin, Direction } from '@hubspoke/sdk';

/** @typedef {import('@hubspoke/sdk').Context} Context */

export default class RateLimiterControl extends BasePlugin {
  constructor() {
    super({ name: 'rate-limiter-control', version: '1.0.0', description: 'limits Down, usage Up' });
  }

  /** @type {Record<string, number>} */
  limits = {};
  /** Requests and tokens per app, per edge, since start. @type {Map<string, { requests: number; tokens: number }>} */
  totals = new Map();

  getConfigSchema() {
    return {
      type: 'object',
      properties: { limits: { type: 'object', additionalProperties: { type: 'integer', minimum: 0 } } },
      additionalProperties: false,
    };
  }

  /** @param {Context} _ctx @param {Record<string, unknown>} config */
  async initialize(_ctx, config) {
    this.limits = /** @type {Record<string, number>} */ (config['limits'] ?? {});
  }

  /** @param {Context} ctx */
  async onSessionReady(ctx) {
    await ctx.services.events.subscribe('ratelimit.usage', (ev) => {
      const usage = /** @type {Record<string, { requests: number; tokens: number }>} */ (ev.payload);
      for (const [app, u] of Object.entries(usage)) {
        const key = `${app}@${ev.edgeId}`;
        const t = this.totals.get(key) ?? { requests: 0, tokens: 0 };
        t.requests += u.requests;
        t.tokens += u.tokens;
        this.totals.set(key, t);
      }
    });
    // An edge starting asks for the limits: answer that edge alone.
    await ctx.services.events.subscribe('ratelimit.sync', async (ev) => {
      await ctx.services.events.publish('ratelimit.limits', this.limits, Direction.Down, {
        ...(ev.namespace ? { namespace: ev.namespace } : {}),
        ...(ev.edgeId ? { edgeId: ev.edgeId } : {}),
      });
    });
    await this.sendLimits(ctx);
  }

  /** Sets one app's limit and tells every edge (what an operator's UI or a scheduled policy would call). */
  /** @param {Context} ctx @param {string} appId @param {number} perMinute */
  async setLimit(ctx, appId, perMinute) {
    this.limits = { ...this.limits, [appId]: perMinute };
    await this.sendLimits(ctx);
  }

  /** @param {Context} ctx */
  async sendLimits(ctx) {
    await ctx.services.events.publish('ratelimit.limits', this.limits, Direction.Down);
  }

  /** @param {Context} ctx @param {import('@hubspoke/sdk').ConfigChange} change */
  async onConfigChange(ctx, change) {
    if (change.key !== 'plugin.rate-limiter-control') return;
    this.limits = change.deleted
      ? {}
      : (/** @type {{ limits?: Record<string, number> }} */ (change.value)?.limits ?? {});
    await this.sendLimits(ctx);
  }
}
