import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ErrorCode, HubspokeError, isName } from '@hubspoke/sdk';
import { edgePermissions, leafPermissions, type SubjectPermissions } from './permissions.js';
import { createUserKey, leafPassword, leafUserName } from './seed.js';

/** The account every hubspoke user is in (it has JetStream). */
export const HUB_ACCOUNT = 'HUBSPOKE';
const STATE_FILE = 'auth.json';

/** One edge's entry in the auth folder. */
export interface EdgeAuth {
  namespace: string;
  publicKey: string;
  /** The leaf user's password (derived from the edge's seed). */
  leafPassword: string;
  added: string;
}

/** What an auth folder records (`auth.json`); `auth.conf` is rendered from it. */
export interface AuthState {
  version: 1;
  control: { publicKey: string };
  edges: Record<string, EdgeAuth>;
  /** Edges revoked (until added again), so that `hubspoke edges` can say so. */
  revoked?: Record<string, { namespace: string; at: string }>;
}

/** The files of an auth folder. */
export interface AuthPaths {
  dir: string;
  /** The control plane's nkey seed (also for the ops CLI: it has every right in the account). */
  control: string;
  /** What the hub's nats-server config includes. */
  conf: string;
  /** The admin API's token (the control plane's `--admin-token`, and the ops commands'). */
  adminToken: string;
  state: string;
  edgesDir: string;
  edge(edgeId: string): string;
}

/** Where the files of the auth folder `dir` are. */
export function authPaths(dir: string): AuthPaths {
  return {
    dir,
    control: join(dir, 'control.nk'),
    conf: join(dir, 'auth.conf'),
    adminToken: join(dir, 'admin.token'),
    state: join(dir, STATE_FILE),
    edgesDir: join(dir, 'edges'),
    edge: (edgeId) => join(dir, 'edges', `${edgeId}.nk`),
  };
}

function invalid(message: string): HubspokeError {
  return new HubspokeError(ErrorCode.ConfigInvalid, message);
}

/** Writes a private file (mode 0600) whole: a reader (nats-server reloading) sees the old file or the new one. */
function writePrivate(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, path);
}

function seedFile(seed: string, what: string): string {
  return `# hubspoke nkey seed of ${what}: a secret. Give it to that node only (credentials / --creds).\n${seed}\n`;
}

const q = (s: string): string => JSON.stringify(s);

function renderPermissions(p: SubjectPermissions, indent: string): string[] {
  return [
    `${indent}permissions: {`,
    `${indent}  publish: { allow: [ ${p.publish.map(q).join(', ')} ] }`,
    `${indent}  subscribe: { allow: [ ${p.subscribe.map(q).join(', ')} ] }`,
    `${indent}  allow_responses: { max: ${p.allowResponses.max}, expires: ${q(p.allowResponses.expires)} }`,
    `${indent}}`,
  ];
}

/**
 * `auth.conf`: the account `HUBSPOKE` (JetStream on) with the control plane's nkey user (every right in the account)
 * and, per edge, its nkey user and its leaf's user, both with the edge's permissions. A leaf presenting no credentials
 * is not refused by nats-server 2.9 but bound to the default account `$G`, which holds nothing of hubspoke's.
 */
export function renderAuthConf(state: AuthState): string {
  const lines = [
    '# Written by hubspoke (auth init, edge add, edge revoke); rewritten on every change: do not edit by hand.',
    '# The hub includes it at the top level of its config (`include ./auth.conf`, a path relative to that file)',
    '# and picks up changes on a reload (nats-server --signal reload, or SIGHUP), without a restart.',
    "# Private: it holds the leaf users' passwords.",
    'accounts {',
    `  ${HUB_ACCOUNT} {`,
    '    jetstream: enabled',
    '    users = [',
    '      # the control plane (and the ops CLI): everything in the account',
    `      { nkey: ${q(state.control.publicKey)} }`,
  ];
  for (const [edgeId, e] of Object.entries(state.edges).sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(
      `      # edge ${edgeId}, namespace ${e.namespace}, added ${e.added}`,
      `      { nkey: ${q(e.publicKey)},`,
      ...renderPermissions(edgePermissions(e.namespace, edgeId), '        '),
      '      }',
      `      # the leaf node of edge ${edgeId} (nats-server 2.9 leaf remotes send user:password, not an nkey);`,
      '      # it also carries the hub sourcing the outbox stream of that leaf',
      `      { user: ${q(leafUserName(edgeId))}, password: ${q(e.leafPassword)},`,
      ...renderPermissions(leafPermissions(e.namespace, edgeId), '        '),
      '      }',
    );
  }
  lines.push('    ]', '  }', '}', '');
  return lines.join('\n');
}

/** Reads `auth.json`; `HS_ERR_CONFIG_INVALID` when the folder was not made by `auth init`. */
export function readAuthState(dir: string): AuthState {
  const paths = authPaths(dir);
  let state: AuthState;
  try {
    state = JSON.parse(readFileSync(paths.state, 'utf8')) as AuthState;
  } catch (err) {
    throw new HubspokeError(
      ErrorCode.ConfigInvalid,
      `${dir} is not a hubspoke auth folder (run hubspoke auth init --dir ${dir}): ${(err as Error).message}`,
      { cause: err },
    );
  }
  if (state?.version !== 1 || typeof state.control?.publicKey !== 'string' || typeof state.edges !== 'object') {
    throw invalid(`${paths.state} is not a hubspoke auth state (version 1)`);
  }
  return state;
}

function save(dir: string, state: AuthState): void {
  const paths = authPaths(dir);
  writePrivate(paths.state, `${JSON.stringify(state, null, 2)}\n`);
  writePrivate(paths.conf, renderAuthConf(state));
}

/**
 * Creates an auth folder: the control plane's seed `control.nk`, `auth.json` and `auth.conf`. Refuses a folder that
 * already has them (a second init would lock out every node issued so far).
 */
export function initAuthDir(dir: string): AuthPaths {
  const paths = authPaths(dir);
  if (existsSync(paths.state) || existsSync(paths.control) || existsSync(paths.adminToken)) {
    throw invalid(`${dir} already holds hubspoke credentials (auth.json / control.nk): not overwritten`);
  }
  mkdirSync(paths.edgesDir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const control = createUserKey();
  writePrivate(paths.control, seedFile(control.seed, 'the control plane'));
  writePrivate(paths.adminToken, `${randomBytes(32).toString('base64url')}\n`);
  save(dir, { version: 1, control: { publicKey: control.publicKey }, edges: {} });
  return paths;
}

/** Issues an edge's seed (`edges/<id>.nk`) and adds its users to `auth.conf`. Edge ids are unique across namespaces. */
export function addEdge(dir: string, edgeId: string, namespace: string): { seedFile: string; publicKey: string } {
  if (typeof edgeId !== 'string' || !isName(edgeId)) {
    throw invalid(`edge id ${JSON.stringify(edgeId)} must be 1-64 characters of [A-Za-z0-9_-], not starting with "_"`);
  }
  if (typeof namespace !== 'string' || !isName(namespace)) {
    throw invalid(
      `namespace ${JSON.stringify(namespace)} must be 1-64 characters of [A-Za-z0-9_-], not starting with "_"`,
    );
  }
  const state = readAuthState(dir);
  const had = state.edges[edgeId];
  if (had) throw invalid(`edge ${edgeId} already has credentials (namespace ${had.namespace}); revoke it first`);
  const paths = authPaths(dir);
  mkdirSync(paths.edgesDir, { recursive: true, mode: 0o700 });
  const key = createUserKey();
  writePrivate(paths.edge(edgeId), seedFile(key.seed, `edge ${edgeId} (namespace ${namespace})`));
  if (state.revoked) delete state.revoked[edgeId];
  state.edges[edgeId] = {
    namespace,
    publicKey: key.publicKey,
    leafPassword: leafPassword(key.seed, edgeId),
    added: new Date().toISOString(),
  };
  save(dir, state);
  return { seedFile: paths.edge(edgeId), publicKey: key.publicKey };
}

/**
 * Rewrites `auth.conf` from `auth.json` with this version's permissions (after an upgrade that changed them: the
 * file is otherwise rewritten only by `edge add` and `edge revoke`). Resolves to its path.
 */
export function renderAuthDir(dir: string): string {
  save(dir, readAuthState(dir));
  return authPaths(dir).conf;
}

/** Removes an edge's users from `auth.conf` and its seed file. `HS_ERR_CONFIG_INVALID` for an unknown edge. */
export function revokeEdge(dir: string, edgeId: string): { namespace: string } {
  const state = readAuthState(dir);
  const had = state.edges[edgeId];
  if (!had) throw invalid(`edge ${JSON.stringify(edgeId)} has no credentials in ${dir}`);
  delete state.edges[edgeId];
  state.revoked = { ...state.revoked, [edgeId]: { namespace: had.namespace, at: new Date().toISOString() } };
  save(dir, state);
  rmSync(authPaths(dir).edge(edgeId), { force: true });
  return { namespace: had.namespace };
}
