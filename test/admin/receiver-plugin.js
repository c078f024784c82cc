// A payload receiver for `hubspoke control --plugin` in the CLI tests: logs each payload it takes (one JSON
// line on stdout, through the plugin logger). A body { poison: true } throws until the file named by
// HS_TEST_CURED exists; a body { unwanted: true } is declined (no receiver handles it: dead-lettered at once).
import { existsSync } from 'node:fs';
import { BasePlugin } from '@hubspoke/sdk';

export default class TestReceiver extends BasePlugin {
  constructor() {
    super({ name: 'test-receiver', version: '0.0.1' });
  }

  async acceptEdgePayload(ctx, p) {
    const body = JSON.parse(Buffer.from(p.payload).toString());
    if (body.unwanted) return false;
    if (body.poison && !existsSync(process.env.HS_TEST_CURED ?? '')) throw new Error('poison payload');
    ctx.services.logger.info('payload taken', {
      taken: p.id,
      replayOf: p.replay?.of ?? null,
      deliveryCount: p.deliveryCount,
    });
    return true;
  }
}
