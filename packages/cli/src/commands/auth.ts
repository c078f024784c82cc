import { parseArgs } from 'node:util';
import { ErrorCode, HubspokeError } from '@hubspoke/sdk';
import { addEdge, authPaths, initAuthDir, revokeEdge } from '@hubspoke/runtime';

const usage = (message: string): HubspokeError => new HubspokeError(ErrorCode.ConfigInvalid, message);

/** `hubspoke auth --help`. */
export function authUsage(): string {
  return (
    'Usage: hubspoke auth init --dir D\n' +
    '       hubspoke edge add ID --namespace NS --dir D\n' +
    '       hubspoke edge revoke ID --dir D\n\n' +
    "auth init writes the control plane's nkey seed D/control.nk and D/auth.conf, which the hub's nats-server\n" +
    'config includes at its top level (`include ./auth.conf`: the path is relative to the including file).\n' +
    "edge add issues D/edges/ID.nk (the edge's seed: --creds of hubspoke edge, which also authenticates its leaf)\n" +
    'and adds its permissions to D/auth.conf; edge revoke removes them. After either, reload the hub\n' +
    '(nats-server --signal reload, or SIGHUP): a revoked edge is disconnected, no restart needed.\n' +
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
        help: { type: 'boolean', short: 'h' },
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

const reloadHint = 'reload the hub to apply it: nats-server --signal reload (or kill -HUP <pid>)';

/** `hubspoke auth init --dir D`. */
export function authCommand(argv: readonly string[]): number {
  const { values: v, positionals } = flags(argv, 'auth', false);
  if (v.help || positionals.length === 0) {
    (v.help ? process.stdout : process.stderr).write(authUsage());
    return v.help ? 0 : 2;
  }
  const [sub, ...extra] = positionals;
  if (sub !== 'init') throw usage(`hubspoke auth: unknown subcommand ${JSON.stringify(sub)} (want init)`);
  if (extra.length > 0) throw usage(`hubspoke auth init: unexpected argument ${JSON.stringify(extra[0])}`);
  const dir = dirOf(v, 'auth init');
  const paths = initAuthDir(dir);
  process.stdout.write(
    `control plane credentials: ${paths.control}\n` +
      `hub authorization:         ${paths.conf}\n` +
      "add to the hub's nats-server config (top level, path relative to that file): include ./<relative path>/auth.conf\n" +
      'then issue edges: hubspoke edge add ID --namespace NS --dir ' +
      dir +
      '\n',
  );
  return 0;
}

/** `hubspoke edge add ID --namespace NS --dir D` and `hubspoke edge revoke ID --dir D`. */
export function edgeAuthCommand(sub: 'add' | 'revoke', argv: readonly string[]): number {
  const { values: v, positionals } = flags(argv, `edge ${sub}`, sub === 'add');
  if (v.help) {
    process.stdout.write(authUsage());
    return 0;
  }
  const [id, ...extra] = positionals;
  if (id === undefined) throw usage(`hubspoke edge ${sub}: needs an edge id`);
  if (extra.length > 0) throw usage(`hubspoke edge ${sub}: unexpected argument ${JSON.stringify(extra[0])}`);
  const dir = dirOf(v, `edge ${sub}`);
  if (sub === 'add') {
    const ns = (v as { namespace?: string }).namespace;
    if (!ns) throw usage('hubspoke edge add: --namespace NS is required');
    const issued = addEdge(dir, id, ns);
    process.stdout.write(
      `edge ${id} (namespace ${ns}): credentials ${issued.seedFile}, public key ${issued.publicKey}\n` +
        `added to ${authPaths(dir).conf}; ${reloadHint}\n`,
    );
  } else {
    const { namespace } = revokeEdge(dir, id);
    process.stdout.write(`edge ${id} (namespace ${namespace}) revoked in ${authPaths(dir).conf}; ${reloadHint}\n`);
  }
  return 0;
}
