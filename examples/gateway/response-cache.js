// @ts-check
// A response cache at the edge, invalidated by Down events: the cache-invalidation story made real.
// - PostAuthHandler: a GET whose answer is cached (and fresh) is answered here, `x-cache: HIT`, without the upstream.
//   After auth, so an unauthenticated client never gets a cached answer.
// - ResponseHandler: keeps the status and headers of 200 answers to GETs, then the body (whole, not streamed).
// - `cache.invalidate` Down events ({ prefix } or { path }) evict entries at every edge they address.
import { BasePlugin } from '@hubspoke/sdk';

/** @typedef {import('@hubspoke/sdk').Context} Context */

export default class ResponseCache extends BasePlugin {
  constructor() {
    super({
      name: 'response-cache',
      version: '1.0.0',
      description: 'edge response cache, invalidated from the control plane',
    });
  }

  /** @type {Map<string, { status: number; headers: Record<string, string[]>; body: Uint8Array; at: number }>} */
  entries = new Map();
  /** Requests in flight that may be kept: request id → key and, once known, status and headers. */
  /** @type {Map<string, { key: string; status?: number; headers?: Record<string, string[]> }>} */
  pending = new Map();
  ttlMs = 60_000;
  stats = { hits: 0, misses: 0, evicted: 0 };

  getConfigSchema() {
    return {
      type: 'object',
      properties: { ttlMs: { type: 'integer', minimum: 1, default: 60000 } },
      additionalProperties: false,
    };
  }

  /** @param {Context} _ctx @param {Record<string, unknown>} config */
  async initialize(_ctx, config) {
    this.ttlMs = /** @type {number} */ (config['ttlMs'] ?? 60_000);
  }

  /** @param {Context} ctx */
  async onSessionReady(ctx) {
    await ctx.services.events.subscribe('cache.invalidate', (ev) => {
      const p = /** @type {{ prefix?: string; path?: string }} */ (ev.payload);
      for (const key of [...this.entries.keys()]) {
        const path = key.slice(key.indexOf(' ') + 1);
        if (
          (p.path !== undefined && path.split('?')[0] === p.path) ||
          (p.prefix !== undefined && path.startsWith(p.prefix))
        ) {
          this.entries.delete(key);
          this.stats.evicted++;
        }
      }
    });
  }

  /** @param {import('@hubspoke/sdk').GatewayRequest} req */
  keyOf(req) {
    return `${req.route} ${req.path}${req.query ? `?${req.query}` : ''}`;
  }

  /** @param {Context} _ctx @param {import('@hubspoke/sdk').AuthenticatedRequest} req */
  async handlePostAuth(_ctx, req) {
    if (req.method !== 'GET') return;
    const key = this.keyOf(req);
    const hit = this.entries.get(key);
    if (hit && Date.now() - hit.at < this.ttlMs) {
      this.stats.hits++;
      return { block: true, statusCode: hit.status, headers: { ...hit.headers, 'x-cache': 'HIT' }, body: hit.body };
    }
    this.stats.misses++;
    this.pending.set(req.id, { key });
  }

  /** @param {Context} _ctx @param {import('@hubspoke/sdk').ResponseHeadersInfo} res */
  async onBeforeWriteHeaders(_ctx, res) {
    const p = this.pending.get(res.request.id);
    if (!p) return;
    if (res.statusCode !== 200) {
      this.pending.delete(res.request.id);
      return;
    }
    const {
      'content-length': _l,
      'transfer-encoding': _t,
      connection: _c,
      'keep-alive': _k,
      date: _d,
      ...headers
    } = res.headers;
    p.status = res.statusCode;
    p.headers = headers;
    return { headers: { 'x-cache': 'MISS' } };
  }

  /** @param {Context} _ctx @param {import('@hubspoke/sdk').ResponseChunk} c */
  async onBeforeWrite(_ctx, c) {
    const p = this.pending.get(c.request.id);
    this.pending.delete(c.request.id);
    // Streamed answers (SSE) pass through uncached.
    if (!p || c.isStreamChunk || p.status === undefined || !p.headers) return;
    this.entries.set(p.key, { status: p.status, headers: p.headers, body: c.chunk, at: Date.now() });
  }

  /** A request that ended another way (an error, the client gone) is forgotten. */
  /** @param {Context} _ctx @param {import('@hubspoke/sdk').StreamCompleteInfo} i */
  async onStreamComplete(_ctx, i) {
    this.pending.delete(i.request.id);
  }
}
