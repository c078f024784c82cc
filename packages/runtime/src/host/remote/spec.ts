import { ErrorCode, HubspokeError } from '@hubspoke/sdk';
import { z } from 'zod';

/** Timeouts and restart policy of an out-of-process plugin; every field has a default. */
export interface RemoteOptions {
  /** From start to the plugin's Register call, and for Describe. @default 15000 */
  startTimeoutMs?: number;
  /** Deadline of one event delivery, payload offer, scheduled task or hook (the plugin's handler). @default 30000 */
  handlerTimeoutMs?: number;
  /** Health checks: every this often… @default 5000 */
  healthIntervalMs?: number;
  /** …each with this deadline… @default 2000 */
  healthTimeoutMs?: number;
  /** …and this many failures in a row end the process (it is restarted). @default 3 */
  healthFailures?: number;
  /** First restart delay, doubled on each failed restart… @default 100 */
  restartInitialMs?: number;
  /** …up to this. @default 5000 */
  restartMaxMs?: number;
  /** A process that ran this long counts as healthy: the next crash restarts after `restartInitialMs` again. @default 30000 */
  restartResetMs?: number;
  /** How long a plugin has to exit after Shutdown before it is killed. @default 3000 */
  exitGraceMs?: number;
}

/** A plugin in a process of its own, started by the runtime. */
export interface CommandPluginSpec extends RemoteOptions {
  /** The program and its arguments, e.g. `['node', './my-plugin.js']` (no shell). */
  command: string[];
  /** Added to the runtime's environment. */
  env?: Record<string, string>;
  /** Working directory. @default the runtime's */
  cwd?: string;
  /** The plugin's config (validated against its schema, as in process). @default {} */
  config?: Record<string, unknown>;
  /** When set, the plugin must describe itself with this name, or it is refused. */
  name?: string;
}

/** A plugin process started by someone else, listening at `address` with `token` (HUBSPOKE_PLUGIN_LISTEN/TOKEN). */
export interface AddressPluginSpec extends RemoteOptions {
  address: string;
  token: string;
  config?: Record<string, unknown>;
  name?: string;
}

/** An out-of-process plugin spec. */
export type RemotePluginSpec = CommandPluginSpec | AddressPluginSpec;

const ms = (max: number) => z.number().int().min(1).max(max).optional();
const options = {
  startTimeoutMs: ms(600_000),
  handlerTimeoutMs: ms(3_600_000),
  healthIntervalMs: ms(600_000),
  healthTimeoutMs: ms(600_000),
  healthFailures: z.number().int().min(1).max(1000).optional(),
  restartInitialMs: ms(600_000),
  restartMaxMs: ms(3_600_000),
  restartResetMs: ms(86_400_000),
  exitGraceMs: ms(600_000),
  config: z.record(z.string(), z.unknown()).optional(),
  name: z.string().optional(),
};
const commandSpec = z.strictObject({
  command: z.array(z.string().min(1)).min(1),
  env: z.record(z.string(), z.string()).optional(),
  cwd: z.string().min(1).optional(),
  ...options,
});
const addressSpec = z.strictObject({ address: z.string().min(1), token: z.string().min(16), ...options });

/** True for `{ command }` and `{ address }` specs. */
export function isRemoteSpec(spec: unknown): spec is RemotePluginSpec {
  return typeof spec === 'object' && spec !== null && ('command' in spec || 'address' in spec);
}

/** The spec, checked; every problem named in one `HS_ERR_CONFIG_INVALID`. */
export function parseRemoteSpec(spec: RemotePluginSpec): Required<RemoteOptions> & RemotePluginSpec {
  const r = ('command' in spec ? commandSpec : addressSpec).safeParse(spec);
  if (!r.success) {
    const what = r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new HubspokeError(ErrorCode.ConfigInvalid, `out-of-process plugin spec is invalid: ${what}`);
  }
  return {
    startTimeoutMs: 15_000,
    handlerTimeoutMs: 30_000,
    healthIntervalMs: 5_000,
    healthTimeoutMs: 2_000,
    healthFailures: 3,
    restartInitialMs: 100,
    restartMaxMs: 5_000,
    restartResetMs: 30_000,
    exitGraceMs: 3_000,
    ...(r.data as RemotePluginSpec),
  };
}
