import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { generateAdminToken } from '@hubspoke/control-plane';
import { ErrorCode, HubspokeError } from '@hubspoke/sdk';
import { DEFAULT_ADMIN_ADDRESS, localTokenFile } from './config-dir.js';
import { OPS_ENV, readToken } from './connection.js';

/** The admin settings of `hubspoke control` after flags, environment and file. */
export interface AdminSettings {
  admin?:
    | { listen?: string | undefined; token?: string | undefined; tls?: { cert: string; key: string } | undefined }
    | undefined;
  adminToken?: string | undefined;
  adminTlsCert?: string | undefined;
  adminTlsKey?: string | undefined;
}

/**
 * The token a control plane without one uses: `<config dir>/admin.token`, made once (0600) and reused, so that
 * ops commands on the same machine find it without being told.
 */
export function localToken(env: Readonly<Record<string, string | undefined>>): { token: string; file: string } {
  const file = localTokenFile(env);
  if (existsSync(file)) return { token: readToken(file, 'the local admin token'), file };
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const token = generateAdminToken();
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token, file };
}

/**
 * `startControlPlane`'s `admin` option for `hubspoke control`: listen on `--admin-listen` (default
 * 127.0.0.1:7411), with the token of `--admin-token FILE`, else `HUBSPOKE_ADMIN_TOKEN`, else the config file's,
 * else the local one; TLS when a certificate and key are given.
 */
export function adminListenOption(
  s: AdminSettings,
  env: Readonly<Record<string, string | undefined>>,
): { admin: { listen: string; token: string; tls?: { cert: string; key: string } }; tokenFrom: string } {
  if ((s.adminTlsCert === undefined) !== (s.adminTlsKey === undefined)) {
    throw new HubspokeError(ErrorCode.ConfigInvalid, '--admin-tls-cert and --admin-tls-key go together');
  }
  const tls =
    s.adminTlsCert !== undefined && s.adminTlsKey !== undefined
      ? { cert: s.adminTlsCert, key: s.adminTlsKey }
      : s.admin?.tls;
  let token: string;
  let tokenFrom: string;
  if (s.adminToken !== undefined) {
    token = readToken(s.adminToken, '--admin-token');
    tokenFrom = `from ${s.adminToken}`;
  } else if (env[OPS_ENV.token]?.trim()) {
    token = env[OPS_ENV.token]?.trim() as string;
    tokenFrom = `from ${OPS_ENV.token}`;
  } else if (s.admin?.token !== undefined) {
    token = s.admin.token;
    tokenFrom = 'from the config file';
  } else {
    const local = localToken(env);
    token = local.token;
    tokenFrom = `in ${local.file} (ops commands on this machine read it)`;
  }
  return {
    admin: { listen: s.admin?.listen ?? DEFAULT_ADMIN_ADDRESS, token, ...(tls ? { tls } : {}) },
    tokenFrom,
  };
}
