// @ts-check
// A rate limiter at the edge, the original SDK's favourite example rebuilt on the fabric. Three capabilities:
// - PostAuthHandler: counts each app's requests in the current minute at this edge; above the app's limit the
//   request is blocked with 429 and a retry-after header.
// - ResponseHandler: tells the client what is left (x-ratelimit-limit / x-ratelimit-remaining).
// - DataCollector: counts requests and tokens per app from the ProxyLog and Analytics records.
// Every second it sends what it counted Up (`ratelimit.usage`); limits come Down (`ratelimit.limits`) from the
// control plane half (rate-limiter-control.js), which it asks for at start (`ratelimit.sync`, Up). Counters live here, at each edge: no round trip per request.
import { BasePlugin, Direction } from '@hubspoke/sdk';

/** @typedef {import('@hubspoke/sdk').Context} Context */

export default class RateLimiterEdge extends BasePlugin {
  constructor() {
    super({ name: 'rate-limiter', version: '1.0.0', description: 'per-app request limits at the edge' });
  }

  /** Requests per minute per app; from the control plane; `*` is the default. @type {Record<string, number>} */
  limits = { '*': 600 };
  /** This minute's count per app. @type {Map<string, number>} */
  window = new Map();
  windowStart = Date.now();
  /** Usage since the last report. @type {Map<string, { requests: number; tokens: number }>} */
  usage = new Map();
  /** @type {NodeJS.Timeout | undefined} */
  timer = undefined;

  getConfigSchema() {
    return {
      type: 'object',
      properties: {
        defaultPerMinute: { type: 'integer', minimum: 1, default: 600 },
        reportMs: { type: 'integer', minimum: 100, maximum: 60000, default: 1000 },
      },
      additionalProperties: false,
    };
  }

  reportMs = 1000;

  /** @param {Context} _ctx @param {Record<string, unknown>} config */
  async initialize(_ctx, config) {
    this.limits['*'] = /** @type {number} */ (config['defaultPerMinute'] ?? 600);
    this.reportMs = /** @type {number} */ (config['reportMs'] ?? 1000);
  }

  /** @param {Context} ctx */
  async onSessionReady(ctx) {
    await ctx.services.events.subscribe('ratelimit.limits', (ev) => {
      this.limits = { '*': this.limits['*'] ?? 600, .../** @type {Record<string, number>} */ (ev.payload) };
      ctx.services.logger.info('limits from the control plane', { limits: this.limits });
    });
    // Ask for the limits now: the control plane answers this edge alone (and tells every edge of later changes).
    await ctx.services.events.publish('ratelimit.sync', {}, Direction.Up);
    this.timer = setInterval(() => void this.report(ctx), this.reportMs);
    ctx.signal.addEventListener('abort', () => clearInterval(this.timer), { once: true });
  }

  /** @param {string} appId */
  limitOf(appId) {
    return this.limits[appId] ?? this.limits['*'] ?? 600;
  }

  /** @param {string} appId */
  count(appId) {
    if (Date.now() - this.windowStart >= 60_000) {
      this.window.clear();
      this.windowStart = Date.now();
    }
    return this.window.get(appId) ?? 0;
  }

  /** @param {Context} _ctx @param {import('@hubspoke/sdk').AuthenticatedRequest} req */
  async handlePostAuth(_ctx, req) {
    const used = this.count(req.app.id);
    const limit = this.limitOf(req.app.id);
    if (used >= limit) {
      const retry = Math.ceil((this.windowStart + 60_000 - Date.now()) / 1000);
      return {
        block: true,
        statusCode: 429,
        headers: { 'retry-after': String(retry), 'x-ratelimit-limit': String(limit), 'x-ratelimit-remaining': '0' },
        body: { error: 'rate limit exceeded', app: req.app.id, limit },
      };
    }
    this.window.set(req.app.id, used + 1);
    this.appOf.set(req.id, req.app.id);
  }

  /** @param {Context} _ctx @param {import('@hubspoke/sdk').ResponseHeadersInfo} res */
  async onBeforeWriteHeaders(_ctx, res) {
    const app = this.appOf.get(res.request.id);
    if (!app) return;
    const limit = this.limitOf(app);
    return {
      headers: {
        'x-ratelimit-limit': String(limit),
        'x-ratelimit-remaining': String(Math.max(0, limit - this.count(app))),
      },
    };
  }

  /** The app of each request in flight, by request id (set in handlePostAuth, dropped with its ProxyLog). */
  appOf = new Map();

  /** @param {Context} _ctx @param {import('@hubspoke/sdk').ProxyLog} log */
  async handleProxyLog(_ctx, log) {
    this.appOf.delete(log.requestId);
    if (!log.appId) return;
    const u = this.usage.get(log.appId) ?? { requests: 0, tokens: 0 };
    u.requests++;
    this.usage.set(log.appId, u);
  }

  /** @param {Context} _ctx @param {import('@hubspoke/sdk').Analytics} a */
  async handleAnalytics(_ctx, a) {
    if (!a.appId) return;
    const u = this.usage.get(a.appId) ?? { requests: 0, tokens: 0 };
    u.tokens += a.totalTokens;
    this.usage.set(a.appId, u);
  }

  /** @param {Context} ctx */
  async report(ctx) {
    if (this.usage.size === 0) return;
    const usage = Object.fromEntries(this.usage);
    this.usage.clear();
    await ctx.services.events.publish('ratelimit.usage', usage, Direction.Up).catch((err) => {
      ctx.services.logger.warn('usage report not sent', { err: String(err) });
    });
  }
}
