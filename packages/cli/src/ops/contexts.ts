// NATS-CLI-style contexts: a named admin address with its token (or token file) and TLS CA, stored as
// `<config dir>/context/<name>.json`; the selected one's name in `<config dir>/context.txt`.
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorCode, HubspokeError, isName } from '@hubspoke/sdk';
import { configDir } from './config-dir.js';

/** One context. */
export interface AdminContext {
  /** The admin API, host:port. */
  admin: string;
  /** A file holding the token (read at each use). */
  tokenFile?: string;
  /** The token itself (when it came from stdin or the environment); the file is private (0600). */
  token?: string;
  /** The CA (PEM file) of an admin API served over TLS. */
  tlsCa?: string;
  description?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

const dirOf = (env: Env): string => join(configDir(env), 'context');
const selectedFile = (env: Env): string => join(configDir(env), 'context.txt');

function checkName(name: string): void {
  if (!isName(name)) {
    throw new HubspokeError(
      ErrorCode.ConfigInvalid,
      `context ${JSON.stringify(name)}: not a name (1-64 of [A-Za-z0-9_-])`,
    );
  }
}

/** Stores a context (replacing one of that name). */
export function saveContext(env: Env, name: string, ctx: AdminContext): string {
  checkName(name);
  mkdirSync(dirOf(env), { recursive: true, mode: 0o700 });
  const file = join(dirOf(env), `${name}.json`);
  writeFileSync(file, `${JSON.stringify(ctx, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return file;
}

/** A stored context. @throws HubspokeError `HS_ERR_CONFIG_INVALID` when there is none of that name */
export function loadContext(env: Env, name: string): AdminContext {
  checkName(name);
  const file = join(dirOf(env), `${name}.json`);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    const why = existsSync(file) ? `cannot be read: ${(err as Error).message}` : 'does not exist';
    throw new HubspokeError(
      ErrorCode.ConfigInvalid,
      `context ${name} ${why} (hubspoke context ls lists them; hubspoke context add ${name} --admin ADDR --admin-token FILE)`,
    );
  }
  const c = data as AdminContext;
  if (typeof c?.admin !== 'string') {
    throw new HubspokeError(ErrorCode.ConfigInvalid, `context ${name} (${file}): has no "admin" address`);
  }
  return c;
}

/** The names of the stored contexts, sorted. */
export function listContexts(env: Env): string[] {
  if (!existsSync(dirOf(env))) return [];
  return readdirSync(dirOf(env))
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}

/** The selected context's name, if any. */
export function selectedContext(env: Env): string | undefined {
  try {
    return readFileSync(selectedFile(env), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Selects a context (it must exist). */
export function selectContext(env: Env, name: string): void {
  loadContext(env, name);
  mkdirSync(configDir(env), { recursive: true, mode: 0o700 });
  writeFileSync(selectedFile(env), `${name}\n`);
}

/** Removes a context; unselects it if it was selected. Resolves to whether there was one. */
export function removeContext(env: Env, name: string): boolean {
  checkName(name);
  const file = join(dirOf(env), `${name}.json`);
  if (!existsSync(file)) return false;
  rmSync(file);
  if (selectedContext(env) === name) rmSync(selectedFile(env), { force: true });
  return true;
}
