// Gateway plugins for tests: one that records every hook call and can block, change, fail or hang on demand;
// an AuthHandler with a table of keys; a custom-endpoint plugin.
import {
  BasePlugin,
  type Analytics,
  type App,
  type AuthenticatedRequest,
  type AuthRequest,
  type AuthResult,
  type BudgetUsage,
  type Context,
  type EndpointResponse,
  type EndpointSpec,
  type GatewayRequest,
  type PluginResponse,
  type ProxyLog,
  type ResponseChunk,
  type ResponseHeadersChange,
  type ResponseHeadersInfo,
  type StreamCompleteInfo,
  type User,
} from '@hubspoke/sdk';

export type Step = 'pre' | 'post' | 'headers' | 'write' | 'complete';

/** What the hook plugin does at each step; changed by tests between requests. */
export interface Behaviour {
  block?: Partial<Record<'pre' | 'post', PluginResponse>>;
  change?: Partial<Record<'pre' | 'post', PluginResponse['request']>>;
  hang?: Step;
  throw?: Step;
  headers?: ResponseHeadersChange;
  /** Upper-cases chunks. */
  shout?: boolean;
}

export class HookPlugin extends BasePlugin {
  calls: { step: string; requestId: string; detail?: unknown }[] = [];
  logs: ProxyLog[] = [];
  analytics: Analytics[] = [];
  budgets: BudgetUsage[] = [];
  b: Behaviour = {};
  constructor(name = 'hooks') {
    super({ name, version: '1.0.0' });
  }
  private async act(step: Step): Promise<void> {
    if (this.b.throw === step) throw new Error(`${step} exploded`);
    if (this.b.hang === step) await new Promise(() => undefined);
  }
  async handlePreAuth(_ctx: Context, req: GatewayRequest): Promise<PluginResponse | void> {
    this.calls.push({ step: 'pre', requestId: req.id, detail: { route: req.route, path: req.path } });
    await this.act('pre');
    if (this.b.block?.pre) return this.b.block.pre;
    if (this.b.change?.pre) return { modified: true, request: this.b.change.pre };
  }
  async handlePostAuth(_ctx: Context, req: AuthenticatedRequest): Promise<PluginResponse | void> {
    this.calls.push({ step: 'post', requestId: req.id, detail: { app: req.app.id, user: req.user?.id } });
    await this.act('post');
    if (this.b.block?.post) return this.b.block.post;
    if (this.b.change?.post) return { modified: true, request: this.b.change.post };
  }
  async onBeforeWriteHeaders(_ctx: Context, r: ResponseHeadersInfo): Promise<ResponseHeadersChange | void> {
    this.calls.push({ step: 'headers', requestId: r.request.id, detail: r.statusCode });
    await this.act('headers');
    return this.b.headers;
  }
  async onBeforeWrite(_ctx: Context, c: ResponseChunk): Promise<{ chunk?: Uint8Array } | void> {
    this.calls.push({
      step: 'write',
      requestId: c.request.id,
      detail: { stream: c.isStreamChunk, text: Buffer.from(c.chunk).toString() },
    });
    await this.act('write');
    if (this.b.shout) return { chunk: Buffer.from(Buffer.from(c.chunk).toString().toUpperCase()) };
  }
  async onStreamComplete(_ctx: Context, i: StreamCompleteInfo): Promise<void> {
    this.calls.push({
      step: 'complete',
      requestId: i.request.id,
      detail: { status: i.statusCode, chunks: i.chunks, bytes: i.bytes },
    });
  }
  async handleProxyLog(_ctx: Context, l: ProxyLog): Promise<void> {
    this.calls.push({ step: 'log', requestId: l.requestId });
    this.logs.push(l);
  }
  async handleAnalytics(_ctx: Context, a: Analytics): Promise<void> {
    this.calls.push({ step: 'analytics', requestId: a.requestId });
    this.analytics.push(a);
  }
  async handleBudgetUsage(_ctx: Context, u: BudgetUsage): Promise<void> {
    this.calls.push({ step: 'budget', requestId: u.requestId });
    this.budgets.push(u);
  }
  stepsOf(requestId: string): string[] {
    return this.calls.filter((c) => c.requestId === requestId).map((c) => c.step);
  }
}

/** Collects telemetry only (a control plane's collector, say). */
export class Collector extends BasePlugin {
  logs: ProxyLog[] = [];
  analytics: Analytics[] = [];
  budgets: BudgetUsage[] = [];
  constructor(name = 'collector') {
    super({ name, version: '1.0.0' });
  }
  async handleProxyLog(_ctx: Context, l: ProxyLog): Promise<void> {
    this.logs.push(l);
  }
  async handleAnalytics(_ctx: Context, a: Analytics): Promise<void> {
    this.analytics.push(a);
  }
  async handleBudgetUsage(_ctx: Context, u: BudgetUsage): Promise<void> {
    this.budgets.push(u);
  }
}

/** Authenticates keys from a table; counts calls (to see the cache work). */
export class KeyTable extends BasePlugin {
  keys = new Map<string, { appId: string; userId?: string }>();
  authCalls = 0;
  constructor() {
    super({ name: 'key-table', version: '1.0.0' });
  }
  async handleAuth(_ctx: Context, r: AuthRequest): Promise<AuthResult> {
    this.authCalls++;
    const k = this.keys.get(r.credential);
    return k
      ? { authenticated: true, appId: k.appId, ...(k.userId ? { userId: k.userId } : {}) }
      : { authenticated: false, errorMessage: 'unknown key' };
  }
  async getAppByCredential(_ctx: Context, credential: string): Promise<App | undefined> {
    const k = this.keys.get(credential);
    return k ? { id: k.appId, name: `app ${k.appId}`, active: true, metadata: { via: 'key-table' } } : undefined;
  }
  async getUserByCredential(_ctx: Context, credential: string): Promise<User | undefined> {
    const k = this.keys.get(credential);
    return k?.userId ? { id: k.userId, name: `user ${k.userId}`, metadata: {} } : undefined;
  }
}

export class Endpoints extends BasePlugin {
  constructor() {
    super({ name: 'tools', version: '1.0.0' });
  }
  getEndpoints(): EndpointSpec[] {
    return [
      { path: '/hello', methods: ['GET'] },
      { path: '/stream', methods: ['GET'] },
      { path: '/me', methods: ['GET'], requireAuth: true },
    ];
  }
  async handleEndpoint(_ctx: Context, req: GatewayRequest & { app?: App }): Promise<EndpointResponse> {
    if (req.path.endsWith('/hello')) return { body: { hello: 'world', query: req.query } };
    if (req.path.endsWith('/me')) return { body: { app: req.app?.id } };
    return {
      headers: { 'content-type': 'text/plain' },
      stream: (async function* () {
        for (let i = 0; i < 3; i++) yield Buffer.from(`part${i};`);
      })(),
    };
  }
}
