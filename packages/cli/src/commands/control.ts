import { startControlPlane, type ControlPlaneOptions } from '@hubspoke/control-plane';
import { adminListenOption } from '../ops/admin-listen.js';
import { logOutput } from '../log-output.js';
import { resolveSettings, tlsOption } from '../settings.js';
import { nodeUsage } from '../usage.js';
import { processInput, runUntilSignal } from './run-node.js';

/** `hubspoke control`: runs a control plane until SIGINT or SIGTERM. */
export async function controlCommand(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const r = resolveSettings('control', processInput(argv));
  if (r.help) {
    process.stdout.write(nodeUsage('control'));
    return 0;
  }
  const {
    logLevel,
    logFormat,
    json,
    tlsCa,
    tlsCert,
    tlsKey,
    admin,
    adminToken,
    adminTokenFile,
    adminTlsCert,
    adminTlsKey,
    noAdmin,
    ...options
  } = r.options;
  const tls = tlsOption({ ...options, tlsCa, tlsCert, tlsKey });
  const adminOption = noAdmin
    ? undefined
    : adminListenOption({ admin, adminToken: adminToken ?? adminTokenFile, adminTlsCert, adminTlsKey }, env);
  // The runtime's own schema validated these; its optional fields are typed `T | undefined` (zod `.optional()`),
  // which exactOptionalPropertyTypes will not pass as `T?`, but zod leaves absent keys absent.
  return runUntilSignal(async () => {
    const cp = await startControlPlane({
      ...(options as ControlPlaneOptions),
      ...(tls ? { tls } : {}),
      ...(adminOption ? { admin: adminOption.admin } : {}),
      log: logOutput(logLevel, json ? 'json' : logFormat),
    });
    if (cp.admin) {
      process.stderr.write(
        `hubspoke control: admin API listening on ${cp.admin.address}${adminOption?.admin.tls ? ' (TLS)' : ''}, token ${adminOption?.tokenFrom}\n`,
      );
    } else process.stderr.write('hubspoke control: no admin API (--no-admin)\n');
    if (cp.console) process.stderr.write(`hubspoke control: ops console on http://${cp.console.address}/\n`);
    if (cp.metrics) process.stderr.write(`hubspoke control: metrics on http://${cp.metrics.address}/metrics\n`);
    return cp;
  });
}
