// The plugin of bench/remote-plugin.ts: counts `load.*` events and says when it has seen `count`; on `kv.bench` it
// times `n` sequential kv.get calls. Run as a process (HUBSPOKE_PLUGIN_TOKEN set), it serves itself.
import { BasePlugin, Direction, type Context, type SessionAware } from '@hubspoke/sdk';
import { serve } from '@hubspoke/sdk/serve';

export class CounterPlugin extends BasePlugin implements SessionAware {
  private seen = 0;
  private count = 0;

  constructor() {
    super({ name: 'counter', version: '1.0.0' });
  }

  override async initialize(_ctx: Context, config: Record<string, unknown>): Promise<void> {
    this.count = Number(config['count']);
  }

  async onSessionReady(ctx: Context): Promise<void> {
    const ev = ctx.services.events;
    await ev.subscribe(
      'load.*',
      async () => {
        if (++this.seen === this.count) await ev.publish('load-done', this.seen, Direction.Local);
      },
      { queueSize: 1_000_000 },
    );
    await ev.subscribe('kv.bench', async (e) => {
      const n = e.payload as number;
      await ctx.services.kv.put('k', 'v');
      const t0 = performance.now();
      for (let i = 0; i < n; i++) await ctx.services.kv.get('k');
      await ev.publish('kv.done', (performance.now() - t0) / n, Direction.Local);
    });
  }
}

if (process.env['HUBSPOKE_PLUGIN_TOKEN']) await serve(new CounterPlugin());
