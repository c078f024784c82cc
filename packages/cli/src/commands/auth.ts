import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ErrorCode, HubspokeError } from '@hubspoke/sdk';
import { addEdge, authPaths, initAuthDir, renderAuthDir, revokeEdge } from '@hubspoke/runtime';

const usage = (message: string): HubspokeError => new HubspokeError(ErrorCode.ConfigInvalid, message);

/** `hubspoke auth --help`. */
export function authUsage(): string {
  return (
    'Usage: hubspoke auth init --dir D [--json]\n' +
    '       hubspoke auth render --dir D [--reload --hub-pid PID|--hub-pid-file FILE] [--json]\n' +
    '       hubspoke edge add ID --namespace NS --dir D [--reload --hub-pid PID|--hub-pid-file FILE] [--json]\n' +
    '       hubspoke edge revoke ID --dir D [--reload --hub-pid PID|--hub-pid-file FILE] [--json]\n\n' +
    "auth init writes the control plane's nkey seed D/control.nk, the admin API's token D/admin.token (hubspoke\n" +
    "control --admin-token D/admin.token; the ops commands the same) and D/auth.conf, which the hub's nats-server\n" +
    'config includes at its top level (`include ./auth.conf`: the path is relative to the including file).\n' +
    "edge add issues D/edges/ID.nk (the edge's seed: --creds of hubspoke edge, which also authenticates its leaf)\n" +
    'and adds its permissions to D/auth.conf; edge revoke removes them; auth render rewrites D/auth.conf from\n' +
    "D/auth.json with this version's permissions (after an upgrade). After any, reload the hub: --reload\n" +
    "sends SIGHUP to the hub's pid (--hub-pid PID, or --hub-pid-file FILE: nats-server's pid_file; or\n" +
    'HUBSPOKE_HUB_PID / HUBSPOKE_HUB_PID_FILE); a revoked edge is disconnected, no restart needed. (nats-server\n' +
    '--signal reload without a pid refuses when leaf nodes run on the same host.)\n' +
    "Keep D private: it holds every seed issued (hand each one to its node) and the leaf users' passwords.\n"
  );
}

function flags(argv: readonly string[], what: string, withNamespace: boolean) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        dir: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        ...(what.startsWith('edge') || what === 'auth'
          ? { reload: { type: 'boolean' }, 'hub-pid': { type: 'string' }, 'hub-pid-file': { type: 'string' } }
          : {}),
        ...(withNamespace ? { namespace: { type: 'string' } } : {}),
      },
      strict: true,
    });
  } catch (err) {
    throw usage(`hubspoke ${what}: ${(err as Error).message}`);
  }
}

function dirOf(v: { dir?: string | boolean | undefined }, what: string): string {
  const dir = typeof v.dir === 'string' ? v.dir : process.env['HUBSPOKE_AUTH_DIR'];
  if (!dir) throw usage(`hubspoke ${what}: --dir D is required (the auth folder; or set HUBSPOKE_AUTH_DIR)`);
  return dir;
}

const reloadHint = "reload the hub to apply it: --reload --hub-pid PID (or kill -HUP <the hub's pid>)";

/** The hub's pid: `--hub-pid`, `--hub-pid-file` (nats-server's pid_file), or their variables. */
export function hubPid(v: { 'hub-pid'?: unknown; 'hub-pid-file'?: unknown }, env: NodeJS.ProcessEnv): number {
  const flag = typeof v['hub-pid'] === 'string' ? v['hub-pid'] : env['HUBSPOKE_HUB_PID']?.trim() || undefined;
  const file =
    typeof v['hub-pid-file'] === 'string' ? v['hub-pid-file'] : env['HUBSPOKE_HUB_PID_FILE']?.trim() || undefined;
  let text = flag;
  if (text === undefined && file !== undefined) {
    try {
      text = readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw usage(`--hub-pid-file: cannot read ${file}: ${(err as Error).message}`);
    }
  }
  if (text === undefined) {
    throw usage(
      "--reload: needs the hub's pid: --hub-pid PID or --hub-pid-file FILE (pid_file in the hub's config; HUBSPOKE_HUB_PID)",
    );
  }
  if (!/^\d+$/.test(text) || Number(text) < 2) throw usage(`--hub-pid: ${JSON.stringify(text)} is not a process id`);
  return Number(text);
}

/** Sends SIGHUP (reload the configuration) to the hub. */
export function reloadHub(pid: number): void {
  try {
    process.kill(pid, 'SIGHUP');
  } catch (err) {
    throw new HubspokeError(
      ErrorCode.NotConnected,
      `cannot signal the hub (pid ${pid}) to reload: ${(err as Error).message}; is that nats-server's pid, and yours to signal?`,
    );
  }
}

/** `hubspoke auth init --dir D` and `hubspoke auth render --dir D`. */
export function authCommand(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): number {
  const { values: v, positionals } = flags(argv, 'auth', false);
  if (v.help || positionals.length === 0) {
    (v.help ? process.stdout : process.stderr).write(authUsage());
    return v.help ? 0 : 2;
  }
  const [sub, ...extra] = positionals;
  if (sub !== 'init' && sub !== 'render') {
    throw usage(`hubspoke auth: unknown subcommand ${JSON.stringify(sub)} (want init or render)`);
  }
  if (extra.length > 0) throw usage(`hubspoke auth ${sub}: unexpected argument ${JSON.stringify(extra[0])}`);
  const o = v as { reload?: boolean; json?: boolean; 'hub-pid'?: string; 'hub-pid-file'?: string };
  if (sub === 'render') {
    const dir = dirOf(v, 'auth render');
    const pid = o.reload ? hubPid(o, env) : undefined;
    const conf = renderAuthDir(dir);
    if (pid !== undefined) reloadHub(pid);
    if (o.json) process.stdout.write(`${JSON.stringify({ conf, reloaded: pid ?? null }, null, 2)}\n`);
    else
      process.stdout.write(`rewrote ${conf}; ${pid !== undefined ? `the hub (pid ${pid}) reloaded it` : reloadHint}\n`);
    return 0;
  }
  if (o.reload || o['hub-pid'] !== undefined || o['hub-pid-file'] !== undefined) {
    throw usage(
      'hubspoke auth init: --reload, --hub-pid and --hub-pid-file go with auth render, edge add and edge revoke',
    );
  }
  const dir = dirOf(v, 'auth init');
  const paths = initAuthDir(dir);
  if (v.json) {
    process.stdout.write(
      `${JSON.stringify({ control: paths.control, conf: paths.conf, adminToken: paths.adminToken }, null, 2)}\n`,
    );
    return 0;
  }
  process.stdout.write(
    `control plane credentials: ${paths.control}\n` +
      `hub authorization:         ${paths.conf}\n` +
      `admin API token:           ${paths.adminToken} (hubspoke control --admin-token ${paths.adminToken}; ops commands too)\n` +
      "add to the hub's nats-server config (top level, path relative to that file): include ./<relative path>/auth.conf\n" +
      'then issue edges: hubspoke edge add ID --namespace NS --dir ' +
      dir +
      '\n',
  );
  return 0;
}

/** `hubspoke edge add ID --namespace NS --dir D` and `hubspoke edge revoke ID --dir D`. */
export function edgeAuthCommand(
  sub: 'add' | 'revoke',
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): number {
  const { values: v, positionals } = flags(argv, `edge ${sub}`, sub === 'add');
  if (v.help) {
    process.stdout.write(authUsage());
    return 0;
  }
  const [id, ...extra] = positionals;
  if (id === undefined) throw usage(`hubspoke edge ${sub}: needs an edge id`);
  if (extra.length > 0) throw usage(`hubspoke edge ${sub}: unexpected argument ${JSON.stringify(extra[0])}`);
  const dir = dirOf(v, `edge ${sub}`);
  const o = v as { reload?: boolean; json?: boolean; 'hub-pid'?: string; 'hub-pid-file'?: string };
  const pid = o.reload ? hubPid(o, env) : undefined;
  const after = pid !== undefined ? `the hub (pid ${pid}) reloaded it` : reloadHint;
  let out: Record<string, unknown>;
  if (sub === 'add') {
    const ns = (v as { namespace?: string }).namespace;
    if (!ns) throw usage('hubspoke edge add: --namespace NS is required');
    const issued = addEdge(dir, id, ns);
    if (pid !== undefined) reloadHub(pid);
    out = {
      edgeId: id,
      namespace: ns,
      credentials: issued.seedFile,
      publicKey: issued.publicKey,
      reloaded: pid ?? null,
    };
    if (!o.json)
      process.stdout.write(
        `edge ${id} (namespace ${ns}): credentials ${issued.seedFile}, public key ${issued.publicKey}\n` +
          `added to ${authPaths(dir).conf}; ${after}\n`,
      );
  } else {
    const { namespace } = revokeEdge(dir, id);
    if (pid !== undefined) reloadHub(pid);
    out = { edgeId: id, namespace, revoked: true, reloaded: pid ?? null };
    if (!o.json)
      process.stdout.write(`edge ${id} (namespace ${namespace}) revoked in ${authPaths(dir).conf}; ${after}\n`);
  }
  if (o.json) process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
  return 0;
}
