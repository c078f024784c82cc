import { ErrorCode, isHubspokeError } from '@hubspoke/sdk';

/** What to try next, per code: every CLI failure ends with one. */
const HINTS: Partial<Record<ErrorCode, (command: string) => string>> = {
  [ErrorCode.ConfigInvalid]: (c) => `hubspoke ${c} --help lists the flags`,
  [ErrorCode.NotConnected]: () =>
    'is the control plane running with its admin API? `hubspoke control` serves it on 127.0.0.1:7411 unless --no-admin; ' +
    'point the command at it with --admin ADDR or a context (hubspoke context add)',
  [ErrorCode.Unauthenticated]: () =>
    'give the token the control plane uses: --admin-token FILE (D/admin.token of hubspoke auth init), HUBSPOKE_ADMIN_TOKEN, or a context',
  [ErrorCode.NoControlPlane]: () =>
    'give the edge its credentials with --creds (hubspoke edge add ID --namespace NS --dir D writes D/edges/ID.nk) and check that a control plane runs on the same hub',
  [ErrorCode.InvalidArgument]: (c) => `the control plane refused the request as it stands; hubspoke ${c} --help`,
  [ErrorCode.NotFound]: (c) => `hubspoke ${c} --help says how to list what exists`,
  [ErrorCode.NatsServerMissing]: () => 'install nats-server (2.9 or later) on PATH, or set NATS_SERVER_BIN',
  [ErrorCode.Plugin]: () => 'docs/plugins.md: how a plugin module is found and loaded (and .ts plugins)',
  [ErrorCode.JetStreamUnavailable]: () => 'enable JetStream on the hub (nats-server -js)',
  [ErrorCode.Internal]: () => 'set HUBSPOKE_DEBUG=1 to see where it failed, and report it with that output',
};

/**
 * A failure as the CLI prints it: the coded message and a hint, never a stack trace (unless `HUBSPOKE_DEBUG`
 * is set). An uncoded error (a bug, or a library's own) is shown as `HS_ERR_INTERNAL`.
 */
export function errorReport(err: unknown, command: string | undefined, env: NodeJS.ProcessEnv): string {
  const coded = isHubspokeError(err);
  const code = coded ? (err as { code: ErrorCode }).code : ErrorCode.Internal;
  const raw = (err as Error | undefined)?.message ?? String(err);
  const message = coded ? raw : `${ErrorCode.Internal}: ${raw.split('\n')[0] ?? raw}`;
  const hint = HINTS[code]?.(command ?? '');
  const debug = env['HUBSPOKE_DEBUG'] ? `${(err as Error | undefined)?.stack ?? ''}\n` : '';
  return `${message}\n${hint ? `  hint: ${hint}\n` : ''}${debug}`;
}
