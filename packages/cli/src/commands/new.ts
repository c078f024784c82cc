import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { isName } from '@hubspoke/sdk';
import { flagTable, parseFlags, toJson, usageError, type FlagDef } from './admin-flags.js';

const FLAGS: Record<string, FlagDef> = {
  dir: { kind: 'string', arg: 'DIR', help: 'where to create it (default ./NAME)' },
  sdk: {
    kind: 'string',
    arg: 'SPEC',
    help: 'the @hubspoke/sdk dependency: a version range, or file:/path/to/hubspoke-sdk-X.tgz (default ^<this version>)',
  },
  json: { kind: 'boolean', help: 'print what was written as JSON' },
};

/** `hubspoke new --help`. */
export function newUsage(): string {
  return (
    'Usage: hubspoke new plugin NAME [--dir DIR] [--sdk SPEC] [--json]\n\n' +
    'Writes a plugin folder: package.json (ESM, depends on @hubspoke/sdk), plugin.js (a plugin that answers\n' +
    '`hello` events), plugin.test.js (node:test, runs with npm test, no NATS needed) and a README saying how\n' +
    'to run it in an edge. NAME is the plugin name (1-64 of [A-Za-z0-9_-]).\n\n' +
    flagTable(FLAGS)
  );
}

function version(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
    .version;
}

const className = (name: string): string =>
  name
    .split(/[-_]/)
    .filter(Boolean)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('')
    .replace(/^(\d)/, 'P$1') || 'Plugin';

/** The files of a new plugin, by name. */
export function pluginFiles(name: string, sdk: string): Record<string, string> {
  const cls = className(name);
  return {
    'package.json': `${JSON.stringify(
      {
        name,
        version: '0.1.0',
        private: true,
        type: 'module',
        main: 'plugin.js',
        engines: { node: '>=20.19' },
        scripts: { test: 'node --test' },
        dependencies: { '@hubspoke/sdk': sdk },
      },
      null,
      2,
    )}\n`,
    'plugin.js': `// ${name}: a hubspoke plugin. Run it in an edge: npx hubspoke edge --nats URL --edge-id ID --namespace NS --plugin ./plugin.js
import { BasePlugin, Direction } from '@hubspoke/sdk';

/** Answers every \`hello\` event with a \`hello.reply\` sent Up to the control plane. */
export default class ${cls} extends BasePlugin {
  constructor() {
    super({ name: '${name}', version: '0.1.0', description: 'answers hello events' });
  }

  /** @param {import('@hubspoke/sdk').Context} ctx */
  async onSessionReady(ctx) {
    await ctx.services.events.subscribe('hello', async (ev) => {
      ctx.services.logger.info('hello received', { from: ev.origin });
      await ctx.services.events.publish('hello.reply', { to: ev.origin, by: ctx.nodeId }, Direction.Up, {
        causationId: ev.id,
      });
    });
  }
}
`,
    'plugin.test.js': `// Runs with \`npm test\` (node:test): the plugin against a small fake of the services it uses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Direction, capabilities } from '@hubspoke/sdk';
import Plugin from './plugin.js';

function fakeContext() {
  const handlers = new Map();
  const published = [];
  const ctx = {
    runtime: 'edge',
    nodeId: 'edge-test',
    namespace: 'test',
    signal: new AbortController().signal,
    services: {
      logger: { debug() {}, info() {}, warn() {}, error() {} },
      events: {
        async subscribe(topic, handler) {
          handlers.set(topic, handler);
          return topic;
        },
        async publish(topic, payload, dir, opts) {
          published.push({ topic, payload, dir, opts });
          return String(published.length);
        },
      },
    },
  };
  return { ctx, handlers, published };
}

test('${name} is a plugin the host can load', () => {
  const p = new Plugin();
  assert.ok(capabilities.isPlugin(p));
  assert.equal(p.info.name, '${name}');
  assert.ok(capabilities.isSessionAware(p));
});

test('${name} answers hello with hello.reply, Up', async () => {
  const p = new Plugin();
  const { ctx, handlers, published } = fakeContext();
  await p.initialize(ctx, {});
  await p.onSessionReady(ctx);
  await handlers.get('hello')({ id: 'e1', topic: 'hello', origin: 'plugin:x@control', payload: {}, metadata: {} });
  assert.deepEqual(published, [
    { topic: 'hello.reply', payload: { to: 'plugin:x@control', by: 'edge-test' }, dir: Direction.Up, opts: { causationId: 'e1' } },
  ]);
});
`,
    'README.md': `# ${name}

A [hubspoke](https://github.com/hubspoke/hubspoke) plugin.

    npm install          # @hubspoke/sdk; from a tarball: npm install /path/to/hubspoke-sdk-X.tgz
    npm test             # node:test, no NATS needed
    npx hubspoke edge --nats nats://127.0.0.1:4222 --edge-id edge-1 --namespace dev --plugin ./plugin.js

On the control plane: \`npx hubspoke control --nats URL --plugin ./plugin.js\`. TypeScript works too: rename it
plugin.ts and install tsx beside it (\`npm install --save-dev tsx\`); see docs/plugins.md.
`,
  };
}

/** `hubspoke new plugin NAME`. */
export function newCommand(argv: readonly string[]): number {
  const f = parseFlags('new', argv, FLAGS);
  const [what, name, ...extra] = f.positionals;
  if (f.help || what === undefined) {
    (f.help ? process.stdout : process.stderr).write(newUsage());
    return f.help ? 0 : 2;
  }
  if (what !== 'plugin') throw usageError(`hubspoke new: ${JSON.stringify(what)}: only "plugin" can be made`);
  if (name === undefined || !isName(name))
    throw usageError(
      `hubspoke new plugin: NAME ${name === undefined ? 'is required' : `${JSON.stringify(name)} is not a name`} (1-64 of [A-Za-z0-9_-])`,
    );
  if (extra.length > 0) throw usageError(`hubspoke new: ${JSON.stringify(extra[0])}: unexpected argument`);
  const dir = resolve(f.strings.get('dir') ?? name);
  const files = pluginFiles(name, f.strings.get('sdk') ?? `^${version()}`);
  const clash = Object.keys(files).find((file) => existsSync(resolve(dir, file)));
  if (clash) throw usageError(`hubspoke new plugin: ${resolve(dir, clash)} exists; not overwritten`);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(resolve(dir, file), text);
  if (f.booleans.has('json')) process.stdout.write(`${toJson({ dir, files: Object.keys(files) })}\n`);
  else
    process.stdout.write(
      `plugin ${name} written in ${dir}: ${Object.keys(files).join(', ')}\n` +
        `next: cd ${basename(dir)} && npm install && npm test\n`,
    );
  return 0;
}
