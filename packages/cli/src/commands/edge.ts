import { ErrorCode, HubspokeError } from '@hubspoke/sdk';
import { startEdgeNode, type EdgeNodeOptions } from '@hubspoke/edge-node';
import { logOutput } from '../log-output.js';
import { resolveSettings, tlsOption } from '../settings.js';
import { edgeAuthCommand } from './auth.js';
import { nodeUsage } from '../usage.js';
import { processInput, runUntilSignal } from './run-node.js';

/** `hubspoke edge`: runs an edge node until SIGINT or SIGTERM. */
export async function edgeCommand(argv: readonly string[]): Promise<number> {
  const sub = argv[0];
  if (sub === 'add' || sub === 'revoke') return edgeAuthCommand(sub, argv.slice(1));
  const r = resolveSettings('edge', processInput(argv));
  if (r.help) {
    process.stdout.write(nodeUsage('edge'));
    return 0;
  }
  const { logLevel, logFormat, json, leafHub, tlsCa, tlsCert, tlsKey, ...options } = r.options;
  const tls = tlsOption({ ...options, tlsCa, tlsCert, tlsKey });
  if (tls) Object.assign(options, { tls });
  if (leafHub !== undefined) {
    if (options.natsUrl !== undefined) {
      throw new HubspokeError(ErrorCode.ConfigInvalid, 'give either --nats or --leaf-hub, not both');
    }
    Object.assign(options, { leaf: { ...options.leaf, hubUrl: leafHub } });
  }
  // The runtime's own schema validated these; its optional fields are typed `T | undefined` (zod `.optional()`),
  // which exactOptionalPropertyTypes will not pass as `T?`, but zod leaves absent keys absent.
  return runUntilSignal(async () => {
    const edge = await startEdgeNode({
      ...(options as EdgeNodeOptions),
      log: logOutput(logLevel, json ? 'json' : logFormat),
    });
    if (edge.metrics) process.stderr.write(`hubspoke edge: metrics on http://${edge.metrics.address}/metrics\n`);
    if (edge.gateway) process.stderr.write(`hubspoke edge: gateway on http://${edge.gateway.address}/\n`);
    return edge;
  });
}
