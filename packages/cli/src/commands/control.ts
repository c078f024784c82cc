import { readFileSync } from 'node:fs';
import { startControlPlane, type ControlPlaneOptions } from '@hubspoke/control-plane';
import { ErrorCode, HubspokeError } from '@hubspoke/sdk';
import { resolveSettings, tlsOption } from '../settings.js';
import { nodeUsage } from '../usage.js';
import { processInput, runUntilSignal } from './run-node.js';

/** `hubspoke control`: runs a control plane until SIGINT or SIGTERM. */
export async function controlCommand(argv: readonly string[]): Promise<number> {
  const r = resolveSettings('control', processInput(argv));
  if (r.help) {
    process.stdout.write(nodeUsage('control'));
    return 0;
  }
  const { logLevel, tlsCa, tlsCert, tlsKey, adminTokenFile, ...options } = r.options;
  const token = adminTokenFile === undefined ? undefined : readAdminToken(adminTokenFile);
  const tls = tlsOption({ ...options, tlsCa, tlsCert, tlsKey });
  // The runtime's own schema validated these; its optional fields are typed `T | undefined` (zod `.optional()`),
  // which exactOptionalPropertyTypes will not pass as `T?`, but zod leaves absent keys absent.
  return runUntilSignal(async () => {
    const cp = await startControlPlane({
      ...(options as ControlPlaneOptions),
      ...(tls ? { tls } : {}),
      ...(token === undefined ? {} : { admin: { ...options.admin, token } }),
      log: { level: logLevel },
    });
    if (cp.admin) process.stderr.write(`hubspoke control: admin API listening on ${cp.admin.address}\n`);
    if (cp.console) process.stderr.write(`hubspoke control: ops console on http://${cp.console.address}/\n`);
    if (cp.metrics) process.stderr.write(`hubspoke control: metrics on http://${cp.metrics.address}/metrics\n`);
    return cp;
  });
}

/** The admin token from its file (surrounding whitespace dropped). */
function readAdminToken(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (cause) {
    throw new HubspokeError(ErrorCode.ConfigInvalid, `--admin-token-file ${path}: cannot be read`, { cause });
  }
}
