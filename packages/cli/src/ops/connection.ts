// How every ops command finds the admin API and its token: flags, then the environment, then a context
// (--context, HUBSPOKE_CONTEXT, or the selected one), then this machine's defaults (127.0.0.1:7411 and the
// token a local `hubspoke control` wrote).
import { existsSync, readFileSync } from 'node:fs';
import { ErrorCode, HubspokeError } from '@hubspoke/sdk';
import { DEFAULT_ADMIN_ADDRESS, localTokenFile } from './config-dir.js';
import { loadContext, selectedContext, type AdminContext } from './contexts.js';

/** Environment variables of the ops commands. */
export const OPS_ENV = {
  admin: 'HUBSPOKE_ADMIN',
  token: 'HUBSPOKE_ADMIN_TOKEN',
  ca: 'HUBSPOKE_ADMIN_CA',
  context: 'HUBSPOKE_CONTEXT',
} as const;

/** Where and how to call the admin API. */
export interface AdminConnection {
  address: string;
  token: string;
  tlsCa?: Buffer;
  /** Where the address came from (for messages). */
  from: string;
}

/** What the flags gave. */
export interface ConnectionFlags {
  admin?: string | undefined;
  adminToken?: string | undefined;
  adminCa?: string | undefined;
  context?: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

function usage(message: string): HubspokeError {
  return new HubspokeError(ErrorCode.ConfigInvalid, message);
}

/** Reads a token: `-` is stdin, anything else a file; the first line, trimmed. */
export function readToken(
  source: string,
  what: string,
  readStdin: () => string = () => readFileSync(0, 'utf8'),
): string {
  let text: string;
  try {
    text = source === '-' ? readStdin() : readFileSync(source, 'utf8');
  } catch (err) {
    throw usage(`${what}: cannot read ${source === '-' ? 'stdin' : source}: ${(err as Error).message}`);
  }
  const token = text
    .split('\n')
    .map((l) => l.trim())
    .find((l) => l !== '' && !l.startsWith('#'));
  if (!token) throw usage(`${what}: ${source === '-' ? 'stdin' : source} holds no token`);
  return token;
}

function readCa(path: string, what: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw usage(`${what}: cannot read ${path}: ${(err as Error).message}`);
  }
}

const ADDRESS = /^(unix:.+|[^\s/]+:\d{1,5})$/;

/**
 * The admin connection of an ops command.
 * @throws HubspokeError `HS_ERR_CONFIG_INVALID` (bad address, unreadable file, unknown context) or
 * `HS_ERR_UNAUTHENTICATED` (no token anywhere), each with how to give it
 */
export function adminConnection(f: ConnectionFlags, env: Env): AdminConnection {
  const ctxName = f.context ?? (env[OPS_ENV.context]?.trim() || undefined) ?? selectedContext(env);
  const ctx: AdminContext | undefined = ctxName !== undefined ? loadContext(env, ctxName) : undefined;
  const envAdmin = env[OPS_ENV.admin]?.trim() || undefined;
  const [address, from] =
    f.admin !== undefined
      ? [f.admin, '--admin']
      : envAdmin !== undefined
        ? [envAdmin, OPS_ENV.admin]
        : ctx !== undefined
          ? [ctx.admin, `context ${ctxName}`]
          : [DEFAULT_ADMIN_ADDRESS, 'the default'];
  if (!ADDRESS.test(address)) throw usage(`${from}: ${JSON.stringify(address)} is not host:port`);

  let token: string | undefined;
  if (f.adminToken !== undefined) token = readToken(f.adminToken, '--admin-token');
  else if (env[OPS_ENV.token]?.trim()) token = env[OPS_ENV.token]?.trim();
  else if (ctx?.token) token = ctx.token;
  else if (ctx?.tokenFile) token = readToken(ctx.tokenFile, `context ${ctxName}`);
  else if (existsSync(localTokenFile(env))) token = readToken(localTokenFile(env), 'the local admin token');
  if (token === undefined) {
    throw new HubspokeError(
      ErrorCode.Unauthenticated,
      `no admin token for ${address}: give --admin-token FILE (D/admin.token from hubspoke auth init; - reads stdin), ` +
        `set ${OPS_ENV.token}, or store it once: hubspoke context add NAME --admin ${address} --admin-token FILE --select`,
    );
  }
  const caPath = f.adminCa ?? (env[OPS_ENV.ca]?.trim() || undefined) ?? ctx?.tlsCa;
  return {
    address,
    token,
    from,
    ...(caPath !== undefined ? { tlsCa: readCa(caPath, f.adminCa !== undefined ? '--admin-ca' : 'the admin CA') } : {}),
  };
}
