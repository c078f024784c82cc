// The plugin of the gateway bench: six hooks that do the least a real one does (read a header, count, answer
// nothing), so that what is measured is the gateway's cost of calling them, in process or out of process.
import {
  BasePlugin,
  type AuthenticatedRequest,
  type Context,
  type GatewayRequest,
  type ProxyLog,
  type ResponseChunk,
  type ResponseHeadersInfo,
  type StreamCompleteInfo,
} from '@hubspoke/sdk';

export class SixHooks extends BasePlugin {
  n = 0;
  constructor(name = 'six') {
    super({ name, version: '1.0.0' });
  }
  async handlePreAuth(_ctx: Context, req: GatewayRequest): Promise<void> {
    if (req.headers['x-block']) this.n++;
  }
  async handlePostAuth(_ctx: Context, req: AuthenticatedRequest): Promise<void> {
    if (req.app.id === '') this.n++;
  }
  async onBeforeWriteHeaders(_ctx: Context, r: ResponseHeadersInfo): Promise<void> {
    if (r.statusCode === 0) this.n++;
  }
  async onBeforeWrite(_ctx: Context, c: ResponseChunk): Promise<void> {
    this.n += c.chunk.length > 0 ? 0 : 1;
  }
  async onStreamComplete(_ctx: Context, i: StreamCompleteInfo): Promise<void> {
    this.n += i.chunks === -1 ? 1 : 0;
  }
  async handleProxyLog(_ctx: Context, l: ProxyLog): Promise<void> {
    this.n += l.statusCode === 0 ? 1 : 0;
  }
}

/** Only onBeforeWrite: the SSE per-event cost. */
export class WriteHook extends BasePlugin {
  events = 0;
  constructor() {
    super({ name: 'write-hook', version: '1.0.0' });
  }
  async onBeforeWrite(_ctx: Context, _c: ResponseChunk): Promise<void> {
    this.events++;
  }
}
