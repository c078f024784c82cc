// A control-plane DataCollector for the gateway bench: counts what arrives.
import { BasePlugin, type Context, type ProxyLog } from '@hubspoke/sdk';

export class Collector extends BasePlugin {
  constructor(private readonly onLog: () => void) {
    super({ name: 'bench-collector', version: '1.0.0' });
  }
  async handleProxyLog(_ctx: Context, _l: ProxyLog): Promise<void> {
    this.onLog();
  }
}
