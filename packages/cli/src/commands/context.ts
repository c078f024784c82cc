import { resolve } from 'node:path';
import { configDir } from '../ops/config-dir.js';
import { readToken } from '../ops/connection.js';
import {
  listContexts,
  loadContext,
  removeContext,
  saveContext,
  selectContext,
  selectedContext,
  type AdminContext,
} from '../ops/contexts.js';
import { flagTable, parseFlags, table, toJson, usageError, type FlagDef } from './admin-flags.js';

const FLAGS: Record<string, FlagDef> = {
  admin: { kind: 'string', arg: 'ADDR', help: "add: the control plane's admin API, host:port" },
  'admin-token': {
    kind: 'string',
    arg: 'FILE|-',
    help: 'add: the token file (kept as a path, read at each use); - reads the token from stdin and stores it (0600)',
  },
  'admin-ca': { kind: 'string', arg: 'FILE', help: 'add: the CA (PEM) of an admin API served over TLS' },
  description: { kind: 'string', arg: 'TEXT', help: 'add: a note shown by ls' },
  select: { kind: 'boolean', help: 'add: select it too' },
  json: { kind: 'boolean', help: 'JSON output' },
};

/** `hubspoke context --help`. */
export function contextUsage(): string {
  return (
    'Usage: hubspoke context add NAME --admin ADDR [--admin-token FILE|-] [--admin-ca FILE] [--select]\n' +
    '       hubspoke context select NAME\n' +
    '       hubspoke context ls [--json]\n' +
    '       hubspoke context show [NAME] [--json]\n' +
    '       hubspoke context rm NAME\n\n' +
    'Named admin connections, as the nats CLI keeps its contexts: once one is selected, every ops command\n' +
    '(edges, payloads, replay, dlq, config) uses its address and token unless a flag or variable says otherwise\n' +
    `(--context NAME or HUBSPOKE_CONTEXT pick another). Stored in ${'$'}HUBSPOKE_CONFIG_DIR, else\n` +
    `${'$'}XDG_CONFIG_HOME/hubspoke, else ~/.config/hubspoke (context/NAME.json, private).\n\n` +
    flagTable(FLAGS)
  );
}

/** `hubspoke context add|select|ls|show|rm`. */
export function contextCommand(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): number {
  const f = parseFlags('context', argv, FLAGS);
  const [sub, name, ...extra] = f.positionals;
  if (f.help || sub === undefined) {
    (f.help ? process.stdout : process.stderr).write(contextUsage());
    return f.help ? 0 : 2;
  }
  if (extra.length > 0) throw usageError(`hubspoke context: ${JSON.stringify(extra[0])}: unexpected argument`);
  const json = f.booleans.has('json');
  const need = (): string => {
    if (name === undefined) throw usageError(`hubspoke context ${sub}: needs a NAME`);
    return name;
  };
  switch (sub) {
    case 'add': {
      const n = need();
      const admin = f.strings.get('admin');
      if (admin === undefined) throw usageError('hubspoke context add: --admin ADDR is required');
      if (!/^(unix:.+|[^\s/]+:\d{1,5})$/.test(admin))
        throw usageError(`--admin: ${JSON.stringify(admin)} is not host:port`);
      const ctx: AdminContext = { admin };
      const tok = f.strings.get('admin-token');
      if (tok === '-') ctx.token = readToken('-', '--admin-token');
      else if (tok !== undefined) {
        readToken(tok, '--admin-token');
        ctx.tokenFile = resolve(tok);
      }
      const ca = f.strings.get('admin-ca');
      if (ca !== undefined) ctx.tlsCa = resolve(ca);
      const d = f.strings.get('description');
      if (d !== undefined) ctx.description = d;
      const file = saveContext(env, n, ctx);
      if (f.booleans.has('select')) selectContext(env, n);
      process.stdout.write(
        json ? `${toJson({ name: n, file, selected: f.booleans.has('select') })}\n` : `context ${n} saved in ${file}\n`,
      );
      return 0;
    }
    case 'select': {
      const n = need();
      selectContext(env, n);
      process.stdout.write(json ? `${toJson({ selected: n })}\n` : `selected context ${n}\n`);
      return 0;
    }
    case 'ls': {
      if (name !== undefined) throw usageError(`hubspoke context ls: ${JSON.stringify(name)}: unexpected argument`);
      const names = listContexts(env);
      const sel = selectedContext(env);
      const rows = names.map((n) => {
        const c = loadContext(env, n);
        return {
          name: n,
          selected: n === sel,
          admin: c.admin,
          token: c.tokenFile ?? (c.token ? '(stored)' : '-'),
          description: c.description ?? '',
        };
      });
      if (json) process.stdout.write(`${toJson(rows)}\n`);
      else if (rows.length === 0)
        process.stderr.write(
          `no contexts in ${configDir(env)} (hubspoke context add NAME --admin ADDR --admin-token FILE)\n`,
        );
      else
        process.stdout.write(
          table(
            ['NAME', 'ADMIN', 'TOKEN', 'DESCRIPTION'],
            rows.map((r) => [`${r.selected ? '*' : ' '}${r.name}`, r.admin, r.token, r.description]),
          ),
        );
      return 0;
    }
    case 'show': {
      const n = name ?? selectedContext(env);
      if (n === undefined)
        throw usageError('hubspoke context show: no context selected (hubspoke context select NAME)');
      const c = loadContext(env, n);
      const shown = { name: n, ...c, ...(c.token ? { token: '(stored)' } : {}) };
      process.stdout.write(
        json
          ? `${toJson(shown)}\n`
          : `${Object.entries(shown)
              .map(([k, v]) => `${k}: ${String(v)}`)
              .join('\n')}\n`,
      );
      return 0;
    }
    case 'rm': {
      const n = need();
      const had = removeContext(env, n);
      if (json) process.stdout.write(`${toJson({ name: n, removed: had })}\n`);
      else if (had) process.stdout.write(`removed context ${n}\n`);
      else process.stderr.write(`hubspoke context: no context ${n}\n`);
      return had ? 0 : 1;
    }
    default:
      throw usageError(`hubspoke context: unknown subcommand ${JSON.stringify(sub)} (add, select, ls, show, rm)`);
  }
}
