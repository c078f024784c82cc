import type { ConfigObject } from '@hubspoke/control-plane';
import {
  ADMIN_FLAG,
  adminAddress,
  flagTable,
  parseFlags,
  table,
  toJson,
  usageError,
  withAdmin,
  type FlagDef,
  type ParsedFlags,
} from './admin-flags.js';

const SCOPE_FLAG: Record<string, FlagDef> = {
  namespace: { kind: 'string', arg: 'NS', help: 'that namespace; without it, the global scope' },
};

const FLAGS: Record<string, FlagDef> = {
  ...ADMIN_FLAG,
  ...SCOPE_FLAG,
  prefix: { kind: 'string', arg: 'P', help: 'ls: keys starting with P' },
  json: { kind: 'boolean', help: 'ls, get: JSON output' },
};

/** `hubspoke config --help`. */
export function configUsage(): string {
  return (
    'Usage: hubspoke config set KEY JSON [--namespace NS] --admin ADDR\n' +
    '       hubspoke config get KEY [--namespace NS] [--json] --admin ADDR\n' +
    '       hubspoke config ls [--namespace NS] [--prefix P] [--json] --admin ADDR\n' +
    '       hubspoke config rm KEY [--namespace NS] --admin ADDR\n\n' +
    "The control plane's config store: JSON values under keys (dot-separated tokens of [A-Za-z0-9_-]), global or\n" +
    'per namespace. A change is pushed at once to the edges that should see it; `hubspoke edges` shows the revision\n' +
    "each applied. `plugin.<name>` holds a plugin's config (a JSON object), checked against its schema.\n" +
    'set prints the new revision; get exits 1 when the key is absent; rm exits 1 when there was nothing to remove.\n\n' +
    flagTable(FLAGS)
  );
}

function scopeOf(f: ParsedFlags): { namespace?: string } {
  const ns = f.strings.get('namespace');
  return ns === undefined ? {} : { namespace: ns };
}

function args(f: ParsedFlags, sub: string, names: readonly string[]): string[] {
  const got = f.positionals.slice(1);
  if (got.length !== names.length) {
    throw usageError(`hubspoke config ${sub}: needs ${names.join(' ')} (hubspoke config --help)`);
  }
  return got;
}

function parseJson(key: string, text: string): string {
  try {
    JSON.parse(text);
  } catch (err) {
    throw usageError(
      `hubspoke config set ${key}: the value is not JSON (${(err as Error).message}); quote strings: '"text"'`,
    );
  }
  return text;
}

const scopeName = (o: ConfigObject): string => o.namespace || '(global)';

/** `hubspoke config set|get|ls|rm`, through the control plane's admin API. */
export async function configCommand(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const f = parseFlags('config', argv, FLAGS);
  const sub = f.positionals[0];
  if (f.help || sub === undefined) {
    process.stdout.write(configUsage());
    return f.help ? 0 : 2;
  }
  const scope = scopeOf(f);
  const json = f.booleans.has('json');
  switch (sub) {
    case 'set': {
      const [key, text] = args(f, sub, ['KEY', 'JSON']) as [string, string];
      const valueJson = parseJson(key, text);
      const address = adminAddress(f, env);
      return withAdmin(address, async (a) => {
        const { revision } = await a.putConfig({ key, valueJson, ...scope });
        process.stdout.write(
          `${key} = ${valueJson}  (revision ${revision}${scope.namespace ? `, namespace ${scope.namespace}` : ', global'})\n`,
        );
        return 0;
      });
    }
    case 'get': {
      const [key] = args(f, sub, ['KEY']) as [string];
      const address = adminAddress(f, env);
      return withAdmin(address, async (a) => {
        const r = await a.getConfig({ key, ...scope });
        if (!r.found || !r.object) {
          process.stderr.write(
            `hubspoke config: ${key} is not set${scope.namespace ? ` in namespace ${scope.namespace}` : ' globally'}\n`,
          );
          return 1;
        }
        process.stdout.write(
          json ? `${toJson(r.object)}\n` : `${JSON.stringify(JSON.parse(r.object.valueJson), null, 2)}\n`,
        );
        return 0;
      });
    }
    case 'ls': {
      args(f, sub, []);
      const address = adminAddress(f, env);
      const prefix = f.strings.get('prefix');
      return withAdmin(address, async (a) => {
        const r = await a.listConfig({ ...scope, ...(prefix === undefined ? {} : { prefix }) });
        if (json) process.stdout.write(`${toJson(r.objects)}\n`);
        else if (r.objects.length === 0) process.stderr.write('no config objects match\n');
        else {
          const clip = (s: string): string => (s.length > 80 ? `${s.slice(0, 79)}…` : s);
          process.stdout.write(
            table(
              ['KEY', 'SCOPE', 'REVISION', 'VALUE'],
              r.objects.map((o) => [o.key, scopeName(o), String(o.revision), clip(o.valueJson)]),
            ),
          );
        }
        return 0;
      });
    }
    case 'rm': {
      const [key] = args(f, sub, ['KEY']) as [string];
      const address = adminAddress(f, env);
      return withAdmin(address, async (a) => {
        const { deleted } = await a.deleteConfig({ key, ...scope });
        if (deleted) process.stdout.write(`removed ${key}\n`);
        else process.stderr.write(`hubspoke config: ${key} was not set\n`);
        return deleted ? 0 : 1;
      });
    }
    default:
      throw usageError(`hubspoke config: unknown subcommand ${JSON.stringify(sub)} (set, get, ls, rm)`);
  }
}
