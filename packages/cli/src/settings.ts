import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ErrorCode, HubspokeError } from '@hubspoke/sdk';
import { controlPlaneOptionsSchema } from '@hubspoke/control-plane';
import { edgeNodeOptionsSchema } from '@hubspoke/edge-node';
import { z } from 'zod';

/** Which runtime a command starts. */
export type NodeKind = 'control' | 'edge';

/** One setting that a flag, an environment variable and the config file can all give. */
export interface SettingDef {
  /** The key in the runtime options and in the config file. */
  readonly key: string;
  /** The flag, without `--`. */
  readonly flag: string;
  readonly env: string;
  /** Repeatable flag; commas separate items in the flag, the variable and the URL list. */
  readonly list?: boolean;
  /** A path: relative paths in the config file are taken from the file's folder, others from the cwd. */
  readonly path?: boolean;
  /** A switch: the flag takes no value (`--no-admin`); the variable takes true/false/1/0. */
  readonly boolean?: boolean;
  readonly arg: string;
  readonly help: string;
}

const COMMON: readonly SettingDef[] = [
  {
    key: 'natsUrl',
    flag: 'nats',
    env: 'HUBSPOKE_NATS_URL',
    arg: 'URL',
    help: 'the hub (or the site leaf); several URLs separated by commas',
  },
  {
    key: 'plugins',
    flag: 'plugin',
    env: 'HUBSPOKE_PLUGINS',
    list: true,
    path: true,
    arg: 'PATH',
    help: 'a plugin module (repeat the flag, or separate with commas)',
  },
  {
    key: 'credentials',
    flag: 'creds',
    env: 'HUBSPOKE_CREDS',
    path: true,
    arg: 'PATH',
    help: 'nkey seed file of this node',
  },
  {
    key: 'tlsCa',
    flag: 'tls-ca',
    env: 'HUBSPOKE_TLS_CA',
    path: true,
    arg: 'PATH',
    help: "TLS to the hub: the CA (PEM) that signed the hub's certificate; verified",
  },
  {
    key: 'tlsCert',
    flag: 'tls-cert',
    env: 'HUBSPOKE_TLS_CERT',
    path: true,
    arg: 'PATH',
    help: "mutual TLS: this node's certificate (PEM), with --tls-key",
  },
  {
    key: 'tlsKey',
    flag: 'tls-key',
    env: 'HUBSPOKE_TLS_KEY',
    path: true,
    arg: 'PATH',
    help: "mutual TLS: this node's private key (PEM), with --tls-cert",
  },
  {
    key: 'logLevel',
    flag: 'log-level',
    env: 'HUBSPOKE_LOG_LEVEL',
    arg: 'L',
    help: 'fatal|error|warn|info|debug|trace|silent (default info)',
  },
  {
    key: 'logFormat',
    flag: 'log-format',
    env: 'HUBSPOKE_LOG_FORMAT',
    arg: 'F',
    help: 'auto|json|pretty: pretty (coloured lines) when stdout is a terminal, JSON otherwise (default auto)',
  },
  {
    key: 'json',
    flag: 'json',
    env: 'HUBSPOKE_LOG_JSON',
    boolean: true,
    arg: '',
    help: 'JSON log lines whatever stdout is (same as --log-format json)',
  },
  {
    key: 'metrics',
    flag: 'metrics',
    env: 'HUBSPOKE_METRICS_LISTEN',
    arg: 'ADDR',
    help: 'serve /metrics, /healthz, /readyz over HTTP on host:port, port 0 = a free one; default: not served',
  },
];

/** The settings of each runtime, in the order `--help` lists them. */
export const SETTINGS: Readonly<Record<NodeKind, readonly SettingDef[]>> = {
  control: [
    ...COMMON,
    {
      key: 'admin',
      flag: 'admin-listen',
      env: 'HUBSPOKE_ADMIN_LISTEN',
      arg: 'ADDR',
      help: 'serve the admin API (gRPC) on host:port, port 0 = a free one (default 127.0.0.1:7411)',
    },
    {
      key: 'adminToken',
      flag: 'admin-token',
      env: 'HUBSPOKE_ADMIN_TOKEN_FILE',
      path: true,
      arg: 'FILE',
      help: `file holding the admin token (D/admin.token of hubspoke auth init); else HUBSPOKE_ADMIN_TOKEN, else one made once in the CLI's folder (${'$'}XDG_CONFIG_HOME/hubspoke/admin.token)`,
    },
    {
      key: 'adminTlsCert',
      flag: 'admin-tls-cert',
      env: 'HUBSPOKE_ADMIN_TLS_CERT',
      path: true,
      arg: 'PATH',
      help: 'serve the admin API over TLS: its certificate (PEM), with --admin-tls-key',
    },
    {
      key: 'adminTlsKey',
      flag: 'admin-tls-key',
      env: 'HUBSPOKE_ADMIN_TLS_KEY',
      path: true,
      arg: 'PATH',
      help: "the admin API's TLS private key (PEM)",
    },
    {
      key: 'noAdmin',
      flag: 'no-admin',
      env: 'HUBSPOKE_NO_ADMIN',
      boolean: true,
      arg: '',
      help: 'serve no admin API (the ops commands then cannot reach this control plane)',
    },
    {
      key: 'adminTokenFile',
      flag: 'admin-token-file',
      env: 'HUBSPOKE_ADMIN_TOKEN_FILE',
      path: true,
      arg: 'PATH',
      help: 'the same as --admin-token FILE (the admin API and the console ask for that token)',
    },
    {
      key: 'console',
      flag: 'console',
      env: 'HUBSPOKE_CONSOLE_LISTEN',
      arg: 'ADDR',
      help: 'serve the ops console (HTTP) on host:port, e.g. 127.0.0.1:8080; needs the admin token; default: not served',
    },
  ],
  edge: [
    ...COMMON.slice(0, 1),
    { key: 'edgeId', flag: 'edge-id', env: 'HUBSPOKE_EDGE_ID', arg: 'ID', help: 'this edge, unique across namespaces' },
    { key: 'namespace', flag: 'namespace', env: 'HUBSPOKE_NAMESPACE', arg: 'NS', help: "this edge's namespace" },
    ...COMMON.slice(1),
    {
      key: 'stateDir',
      flag: 'state-dir',
      env: 'HUBSPOKE_STATE_DIR',
      path: true,
      arg: 'DIR',
      help: 'local state (default .hubspoke/<edge-id>)',
    },
    {
      key: 'leafHub',
      flag: 'leaf-hub',
      env: 'HUBSPOKE_LEAF_HUB',
      arg: 'URL',
      help: "start a leaf nats-server of this edge's own that dials the hub's leafnode port (nats-leaf://host:7422): payloads and KV are kept there through outages; use instead of --nats",
    },
    {
      key: 'gateway',
      flag: 'gateway',
      env: 'HUBSPOKE_GATEWAY_LISTEN',
      arg: 'ADDR',
      help: 'serve the HTTP gateway (routes, apps and users from the synced config) on host:port, port 0 = a free one; default: not served',
    },
  ],
};

/** The flag and variable naming the config file (JSON, keys as in the runtime options). */
export const CONFIG_FLAG = 'config';
export const CONFIG_ENV = 'HUBSPOKE_CONFIG';

const pluginSpecSchema = z.union([
  z.string().min(1),
  z.object({ plugin: z.string().min(1), config: z.record(z.string(), z.unknown()).exactOptional() }).strict(),
  // Out-of-process plugins (docs/plugins.md): the runtime checks the rest of the spec and names what is wrong.
  z.looseObject({ command: z.array(z.string().min(1)).min(1) }),
  z.looseObject({ address: z.string().min(1), token: z.string().min(1) }),
]);
const cliShape = {
  plugins: z.array(pluginSpecSchema).default([]),
  // `--metrics ADDR` gives the address alone; the config file may give the runtime's `{ listen }`.
  metrics: z
    .union([
      z
        .string()
        .min(1)
        .transform((listen) => ({ listen })),
      controlPlaneOptionsSchema.shape.metrics.unwrap(),
    ])
    .optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  logFormat: z.enum(['auto', 'json', 'pretty']).default('auto'),
  json: z
    .union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')])
    .default(false),
  tlsCa: z.string().min(1).optional(),
  tlsCert: z.string().min(1).optional(),
  tlsKey: z.string().min(1).optional(),
};

/** `--tls-ca/--tls-cert/--tls-key` folded into the runtimes' `tls` option (flags win over a file's `tls`). */
export function tlsOption(o: {
  tls?: { ca: string; cert?: string | undefined; key?: string | undefined } | undefined;
  tlsCa?: string | undefined;
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
}): { ca: string; cert?: string; key?: string } | undefined {
  const ca = o.tlsCa ?? o.tls?.ca;
  const cert = o.tlsCert ?? o.tls?.cert;
  const key = o.tlsKey ?? o.tls?.key;
  if (ca === undefined) {
    if (cert !== undefined || key !== undefined) {
      throw new HubspokeError(ErrorCode.ConfigInvalid, '--tls-cert and --tls-key need --tls-ca (the CA of the hub)');
    }
    return undefined;
  }
  if ((cert === undefined) !== (key === undefined)) {
    throw new HubspokeError(ErrorCode.ConfigInvalid, '--tls-cert and --tls-key go together (mutual TLS)');
  }
  return { ca, ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }) };
}

/** The control plane's options as the CLI takes them: the runtime's schema, with `logLevel` instead of `log`. */
export const controlSettingsSchema = controlPlaneOptionsSchema.omit({ log: true, plugins: true }).extend({
  ...cliShape,
  // `--admin ADDR` gives the address alone; the config file may give the runtime's `{ listen }`.
  admin: z
    .union([
      z
        .string()
        .min(1)
        .transform((listen) => ({ listen })),
      controlPlaneOptionsSchema.shape.admin.unwrap(),
    ])
    .optional(),
  adminToken: z.string().min(1).optional(),
  adminTlsCert: z.string().min(1).optional(),
  adminTlsKey: z.string().min(1).optional(),
  noAdmin: z
    .union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')])
    .default(false),
  // `--console ADDR` gives the address alone; the config file may give the runtime's `{ listen }`.
  console: z
    .union([
      z
        .string()
        .min(1)
        .transform((listen) => ({ listen })),
      controlPlaneOptionsSchema.shape.console.unwrap(),
    ])
    .optional(),
  adminTokenFile: z.string().min(1).optional(),
});
/** The edge node's options as the CLI takes them: the runtime's schema, with `logLevel` instead of `log`. */
export const edgeSettingsSchema = edgeNodeOptionsSchema.omit({ log: true, plugins: true }).extend({
  ...cliShape,
  leafHub: z.string().min(1).optional(),
  // `--gateway ADDR` gives the address alone; the config file may give the runtime's `{ listen, … }`.
  gateway: z
    .union([
      z
        .string()
        .min(1)
        .transform((listen) => ({ listen })),
      edgeNodeOptionsSchema.shape.gateway.unwrap(),
    ])
    .optional(),
});

export type ControlSettings = z.output<typeof controlSettingsSchema>;
export type EdgeSettings = z.output<typeof edgeSettingsSchema>;
type SettingsOf<K extends NodeKind> = K extends 'control' ? ControlSettings : EdgeSettings;

/** What the settings are read from; passed in so that resolving stays pure. */
export interface SettingsInput {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Reads the config file (utf8); throws when it cannot. */
  readFile: (path: string) => string;
}

/** Either a request for help, or the validated, frozen options with where each came from. */
export type Resolved<K extends NodeKind> =
  { help: true } | { help: false; options: Readonly<SettingsOf<K>>; sources: Readonly<Record<string, string>> };

const WHAT: Record<NodeKind, string> = { control: 'control plane', edge: 'edge node' };

function fail(kind: NodeKind, problems: readonly string[]): HubspokeError {
  return new HubspokeError(ErrorCode.ConfigInvalid, `${WHAT[kind]} configuration is invalid: ${problems.join('; ')}`);
}

function splitList(v: string): string[] {
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** A flag or variable value as the schema expects it: lists for plugins, one URL or several for NATS. */
function fromText(def: SettingDef, values: readonly string[]): unknown {
  if (def.list) return values.flatMap(splitList);
  const last = values[values.length - 1] ?? '';
  if (def.key === 'natsUrl' && last.includes(',')) return splitList(last);
  return last;
}

/** Makes relative paths absolute against `base` (the cwd, or the config file's folder). */
function absolutize(def: SettingDef, value: unknown, base: string): unknown {
  if (!def.path) return value;
  const one = (v: unknown): unknown => {
    if (typeof v === 'string' && v.length > 0) return resolve(base, v);
    if (typeof v === 'object' && v !== null && typeof (v as { plugin?: unknown }).plugin === 'string') {
      return { ...v, plugin: resolve(base, (v as { plugin: string }).plugin) };
    }
    // A command runs in the config file's folder (or the current one) unless it says otherwise.
    if (typeof v === 'object' && v !== null && Array.isArray((v as { command?: unknown }).command)) {
      const cwd = (v as { cwd?: unknown }).cwd;
      return { ...v, cwd: resolve(base, typeof cwd === 'string' ? cwd : '.') };
    }
    return v;
  };
  return Array.isArray(value) ? value.map(one) : one(value);
}

interface ParsedArgs {
  help: boolean;
  values: Map<string, string[]>;
  problems: string[];
}

function readArgs(kind: NodeKind, argv: readonly string[]): ParsedArgs {
  const defs = new Map<string, SettingDef | undefined>(SETTINGS[kind].map((d) => [d.flag, d]));
  defs.set(CONFIG_FLAG, undefined);
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [flag, def] of defs)
    options[flag] = def?.boolean ? { type: 'boolean' } : { type: 'string', multiple: true };
  // Not strict: every unknown flag and missing value is collected and reported at once, not just the first.
  const { tokens } = parseArgs({
    args: [...argv],
    options,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const out: ParsedArgs = { help: false, values: new Map(), problems: [] };
  for (const t of tokens) {
    if (t.kind === 'positional') out.problems.push(`${JSON.stringify(t.value)}: unexpected argument`);
    if (t.kind !== 'option') continue;
    if (t.name === 'help') {
      out.help = true;
    } else if (!defs.has(t.name)) {
      out.problems.push(`${t.rawName}: unknown flag (hubspoke ${kind} --help lists the flags)`);
    } else if (defs.get(t.name)?.boolean) {
      if (t.value !== undefined) out.problems.push(`${t.rawName}: takes no value`);
      else out.values.set(t.name, ['true']);
    } else if (t.value === undefined || t.value === '') {
      out.problems.push(`${t.rawName}: needs a value`);
    } else {
      out.values.set(t.name, [...(out.values.get(t.name) ?? []), t.value]);
    }
  }
  return out;
}

function readConfigFile(input: SettingsInput, path: string): { data: Record<string, unknown>; problem?: string } {
  let text: string;
  try {
    text = input.readFile(path);
  } catch (err) {
    return { data: {}, problem: `config file ${path}: cannot be read: ${(err as Error).message}` };
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    return { data: {}, problem: `config file ${path}: is not valid JSON: ${(err as Error).message}` };
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { data: {}, problem: `config file ${path}: must hold a JSON object of settings` };
  }
  return { data: data as Record<string, unknown> };
}

function envValue(env: SettingsInput['env'], name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === '' ? undefined : v;
}

/**
 * Resolves a runtime's settings from flags, environment variables and a JSON config file, with precedence
 * flags > env > file > defaults (a list such as `plugins` is taken whole from the highest source that has it),
 * then validates them once against the runtime's zod schema.
 * @throws HubspokeError `HS_ERR_CONFIG_INVALID` naming every bad field and where its value came from
 */
export function resolveSettings<K extends NodeKind>(kind: K, input: SettingsInput): Resolved<K> {
  const args = readArgs(kind, input.argv);
  if (args.help) return { help: true };
  const problems = [...args.problems];

  const merged: Record<string, unknown> = {};
  const sources: Record<string, string> = {};
  const configPath = args.values.get(CONFIG_FLAG)?.at(-1) ?? envValue(input.env, CONFIG_ENV);
  if (configPath !== undefined) {
    const file = resolve(input.cwd, configPath);
    const { data, problem } = readConfigFile(input, file);
    if (problem) problems.push(problem);
    const byKey = new Map(SETTINGS[kind].map((d) => [d.key, d]));
    for (const [key, value] of Object.entries(data)) {
      const def = byKey.get(key);
      merged[key] = def ? absolutize(def, value, dirname(file)) : value;
      sources[key] = `config file ${file}`;
    }
  }
  for (const def of SETTINGS[kind]) {
    const env = envValue(input.env, def.env);
    if (env !== undefined) {
      merged[def.key] = absolutize(def, fromText(def, [env]), input.cwd);
      sources[def.key] = def.env;
    }
    const flag = args.values.get(def.flag);
    if (flag !== undefined) {
      merged[def.key] = absolutize(def, fromText(def, flag), input.cwd);
      sources[def.key] = `--${def.flag}`;
    }
  }
  if (problems.length > 0) throw fail(kind, problems);

  const schema = kind === 'control' ? controlSettingsSchema : edgeSettingsSchema;
  const r = schema.safeParse(merged);
  if (!r.success)
    throw fail(
      kind,
      r.error.issues.flatMap((i) => describeIssue(kind, i, merged, sources)),
    );
  return { help: false, options: Object.freeze(r.data) as Readonly<SettingsOf<K>>, sources: Object.freeze(sources) };
}

function describeIssue(
  kind: NodeKind,
  issue: z.core.$ZodIssue,
  merged: Record<string, unknown>,
  sources: Record<string, string>,
): string[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((k) => `${[...issue.path, k].join('.')}: unknown setting (in ${sources[k] ?? 'the input'})`);
  }
  const top = String(issue.path[0] ?? '');
  const path = issue.path.length ? issue.path.join('.') : '(root)';
  const def = SETTINGS[kind].find((d) => d.key === top);
  if (merged[top] === undefined && issue.path.length === 1) {
    const how = def ? `--${def.flag}, ${def.env} or "${def.key}" in the config file` : `"${top}" in the config file`;
    return [`${path}: required (set ${how})`];
  }
  const from = sources[top];
  return [`${path}: ${issue.message}${from ? ` (from ${from})` : ''}`];
}
