import { homedir } from 'node:os';
import { join } from 'node:path';

/** The variable that moves the CLI's own folder (contexts, the local admin token). */
export const CONFIG_DIR_ENV = 'HUBSPOKE_CONFIG_DIR';

/**
 * The CLI's own folder: `$HUBSPOKE_CONFIG_DIR`, else `$XDG_CONFIG_HOME/hubspoke`, else `~/.config/hubspoke`.
 * It holds the contexts (`context/<name>.json`, the selected one in `context.txt`) and `admin.token`, the token
 * a `hubspoke control` without one made for itself.
 */
export function configDir(env: Readonly<Record<string, string | undefined>>): string {
  const own = env[CONFIG_DIR_ENV]?.trim();
  if (own) return own;
  const xdg = env['XDG_CONFIG_HOME']?.trim();
  return join(xdg || join(env['HOME']?.trim() || homedir(), '.config'), 'hubspoke');
}

/** Where a control plane started by this CLI without a token keeps the one it made; ops commands read it. */
export function localTokenFile(env: Readonly<Record<string, string | undefined>>): string {
  return join(configDir(env), 'admin.token');
}

/** The admin address ops commands use when none is given, and `control` listens on by default. */
export const DEFAULT_ADMIN_ADDRESS = '127.0.0.1:7411';
