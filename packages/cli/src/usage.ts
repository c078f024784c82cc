import { CONFIG_ENV, CONFIG_FLAG, SETTINGS, type NodeKind } from './settings.js';

function table(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(...rows.map(([a]) => a.length)) + 2;
  return rows.map(([a, b]) => `  ${a.padEnd(width)}${b}\n`).join('');
}

/** `hubspoke --help`. */
export function mainUsage(): string {
  return (
    'hubspoke: a hub-and-spoke event fabric for plugins, on NATS\n\n' +
    'Usage: hubspoke <command> [flags]\n\n' +
    table([
      [
        'dev',
        'a nats-server, a control plane and two edges with the example plugins on this machine; prints what flows',
      ],
      ['control', 'runs a control plane'],
      ['edge', 'runs an edge node'],
      ['payloads', 'lists the edge payloads kept at the hub, or shows one (admin API)'],
      ['replay', 'offers stored payloads again, flagged as replays; --dry-run counts only (admin API)'],
      ['dlq', 'dead letters: ls, redrive, drop (admin API)'],
      ['edges', 'the edge registry: state, last seen, config revision, outbox depth; --watch; forget ID (admin API)'],
      ['config', 'the config store: set [--wait], get, ls, rm (admin API); changes reach the edges at once'],
      ['context', 'add|select|ls|show|rm: named admin connections (address + token), as the nats CLI has'],
      ['auth init', "creates the control plane's credentials, the admin token and the hub's auth.conf (--dir D)"],
      ['auth render', "rewrites auth.conf with this version's permissions, after an upgrade (--dir D [--reload])"],
      ['edge add|revoke', "issues an edge's credentials and permissions, or removes them (--dir D [--reload])"],
      ['new plugin NAME', 'scaffolds a plugin folder with a test that runs (npm test)'],
    ]) +
    '\nOps commands (edges, payloads, replay, dlq, config) call the admin API: --admin ADDR (default 127.0.0.1:7411)\n' +
    'and the token (--admin-token FILE, HUBSPOKE_ADMIN_TOKEN), or a context. Every command takes --json.\n' +
    '`hubspoke <command> --help` describes each command. `hubspoke --version` prints the version.\n'
  );
}

/** `hubspoke control --help` and `hubspoke edge --help`, made from the settings table. */
export function nodeUsage(kind: NodeKind): string {
  const defs = SETTINGS[kind];
  const required = kind === 'edge' ? '--nats URL --edge-id ID --namespace NS' : '--nats URL';
  const rows: [string, string][] = defs.map((d) => [`--${d.flag} ${d.arg}`, `${d.help}  [${d.env}]`]);
  rows.push([`--${CONFIG_FLAG} FILE`, `JSON file of settings, keys as in the runtime options  [${CONFIG_ENV}]`]);
  rows.push(['-h, --help', 'this help']);
  const example =
    kind === 'edge'
      ? '{ "natsUrl": "nats://hub:4222", "edgeId": "edge-eu-1", "namespace": "eu", "plugins": ["./cache-edge.js"], "connectTimeoutMs": 60000 }'
      : '{ "natsUrl": "nats://hub:4222", "plugins": [{ "plugin": "./cache-control.js", "config": {} }], "queueSize": 4096 }';
  return (
    `Usage: hubspoke ${kind} ${required} --plugin PATH... [flags]\n\n` +
    `Runs ${kind === 'edge' ? 'an edge node' : 'a control plane'} until SIGINT or SIGTERM, then closes it cleanly.\n\n` +
    table(rows) +
    '\nPrecedence: flags > environment variables > config file > defaults. A list (plugins) comes whole from\n' +
    'the highest source that sets it. Relative paths in the config file are relative to the file.\n' +
    `Config file example: ${example}\n` +
    'A bad value stops start-up with exit code 2 and a message naming each bad field.\n'
  );
}

/** `hubspoke dev --help`. */
export function devUsage(): string {
  return (
    'Usage: hubspoke dev [--edges N] [--quiet] [--json] [--no-leaf] [--no-auth] [--duration-ms N]\n\n' +
    'Starts on this machine, in a temporary folder: a nats-server with JetStream (free loopback ports), a control\n' +
    'plane and N edges (default 2: edge-eu-1 in namespace eu, edge-us-1 in namespace us) running the cache-sync\n' +
    'example plugins, and prints one line per event that crosses the fabric. Ctrl-C stops everything and removes\n' +
    'the temporary folder.\n\n' +
    table([
      ['--edges N', 'how many edges, 1-8 (default 2), alternating namespaces eu and us'],
      ['--quiet', 'no flow lines: only the header and the counts at the end'],
      ['--json', 'one JSON object per flow on stdout; the rest on stderr'],
      ['--no-leaf', 'edges connect straight to the hub (default: each starts a leaf nats-server of its own)'],
      ['--no-auth', 'no authorization (default: generated credentials, each edge confined to its own subjects)'],
      ['--duration-ms N', 'stop by itself after N ms (for tests and demos)'],
      ['-h, --help', 'this help'],
    ]) +
    '\nnats-server is found through NATS_SERVER_BIN, else on PATH. The example plugins are read from\n' +
    'HUBSPOKE_EXAMPLES_DIR, else from the examples/ folder of the hubspoke repository this CLI belongs to.\n'
  );
}
