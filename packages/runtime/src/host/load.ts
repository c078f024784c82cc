import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ErrorCode, HubspokeError, assertName, capabilities, type Plugin } from '@hubspoke/sdk';
import { pino, type Logger as Pino } from 'pino';
import { disposeRemotePlugin, openRemotePlugin } from './remote/remote-plugin.js';
import { isRemoteSpec, type RemotePluginSpec } from './remote/spec.js';

/** A plugin as given to a runtime: an instance, a class, or a module path whose default export is either. */
export type PluginSource = Plugin | (new () => Plugin) | string;

/**
 * A plugin with its config, or just the plugin (config `{}`), or a plugin in a process of its own:
 * `{ command: ['node', 'plugin.js'], env? }` started by the runtime, or `{ address, token }` to attach to.
 */
export type PluginSpec = PluginSource | { plugin: PluginSource; config?: Record<string, unknown> } | RemotePluginSpec;

/** A plugin after loading: the instance and its config. */
export interface LoadedPlugin {
  plugin: Plugin;
  config: Record<string, unknown>;
  source: string;
}

function describe(src: PluginSource): string {
  if (typeof src === 'string') return src;
  if (typeof src === 'function') return `class ${src.name || '(anonymous)'}`;
  return `instance of ${(src as object).constructor?.name ?? 'object'}`;
}

function fail(source: string, why: string, cause?: unknown): HubspokeError {
  return new HubspokeError(ErrorCode.Plugin, `plugin ${source}: ${why}`, cause === undefined ? undefined : { cause });
}

/** Where tsx's ESM API is, seen from the plugin's folder, else from the working folder; undefined when neither has it. */
function findTsx(path: string): string | undefined {
  for (const from of [path, join(process.cwd(), 'noop.js')]) {
    try {
      // The package.json (not `tsx/esm/api`, which require() resolves to its CommonJS build).
      const pkgFile = createRequire(from).resolve('tsx/package.json');
      const pkg = JSON.parse(readFileSync(pkgFile, 'utf8')) as {
        exports?: Record<string, { import?: { default?: string } | string }>;
      };
      const entry = pkg.exports?.['./esm/api']?.import;
      const rel = typeof entry === 'string' ? entry : entry?.default;
      if (rel) return join(dirname(pkgFile), rel);
    } catch {
      // not there
    }
  }
  return undefined;
}

/**
 * Imports a plugin module. A TypeScript one (.ts, .mts, .cts) loads as is when Node can (a tsx loader is active,
 * or Node 22.6+ strips types), else through tsx's `tsImport` when tsx is installed beside the plugin or in the
 * working folder; otherwise it fails with a coded error that says how to make it load.
 */
async function importPlugin(path: string, source: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(path).href;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (cause) {
    const code = (cause as { code?: unknown }).code;
    if (!/\.[cm]?ts$/.test(path) || code !== 'ERR_UNKNOWN_FILE_EXTENSION') {
      throw fail(source, `cannot be imported: ${(cause as Error).message}`, cause);
    }
  }
  const tsx = findTsx(path);
  if (tsx === undefined) {
    throw fail(
      source,
      'is TypeScript, and this Node cannot load it: install tsx beside it (npm install --save-dev tsx), ' +
        'compile it to .js, or on Node 22.6+ run with --experimental-strip-types (default from Node 23.6)',
    );
  }
  try {
    const api = (await import(pathToFileURL(tsx).href)) as {
      tsImport: (specifier: string, parent: string) => Promise<Record<string, unknown>>;
    };
    return await api.tsImport(url, import.meta.url);
  } catch (cause) {
    throw fail(source, `cannot be imported (through tsx): ${(cause as Error).message}`, cause);
  }
}

async function instantiate(src: PluginSource, source: string): Promise<Plugin> {
  let value: unknown = src;
  if (typeof src === 'string') {
    const mod = await importPlugin(resolve(src), source);
    value = mod['default'];
    if (value === undefined)
      throw fail(source, 'the module has no default export (export the plugin class or an instance)');
  }
  if (typeof value === 'function') {
    try {
      value = new (value as new () => unknown)();
    } catch (cause) {
      throw fail(source, `its constructor threw: ${(cause as Error).message}`, cause);
    }
  }
  if (!capabilities.isPlugin(value)) {
    throw fail(source, 'is not a plugin: it needs `info` ({ name, version }) and `initialize()`; extend BasePlugin');
  }
  return value;
}

/** Options of {@link loadPlugins}. */
export interface LoadOptions {
  /** Where out-of-process plugins' output and lifecycle go. @default a pino logger on stdout */
  log?: Pino;
}

/** Stops the processes of out-of-process plugins among `loaded` (in-process ones are left alone). */
export async function disposePlugins(loaded: readonly LoadedPlugin[]): Promise<void> {
  await Promise.allSettled(loaded.map((l) => disposeRemotePlugin(l.plugin)));
}

/**
 * Loads every plugin, checks names (valid, unique) and shapes; fails with `HS_ERR_PLUGIN` naming the one at fault.
 * Out-of-process plugins are started (or attached to) here and describe themselves; on a failure, those already
 * started are stopped.
 */
export async function loadPlugins(specs: readonly PluginSpec[], opts: LoadOptions = {}): Promise<LoadedPlugin[]> {
  const out: LoadedPlugin[] = [];
  try {
    await loadInto(out, specs, opts);
  } catch (err) {
    await disposePlugins(out);
    throw err;
  }
  return out;
}

async function loadInto(out: LoadedPlugin[], specs: readonly PluginSpec[], opts: LoadOptions): Promise<void> {
  const seen = new Set<string>();
  for (const spec of specs) {
    let plugin: Plugin;
    let config: Record<string, unknown>;
    let source: string;
    if (isRemoteSpec(spec)) {
      source = 'command' in spec ? spec.command.join(' ') : spec.address;
      plugin = await openRemotePlugin(spec, opts.log ?? pino({ name: 'hubspoke' }));
      config = spec.config ?? {};
      out.push({ plugin, config, source });
    } else {
      const src = typeof spec === 'object' && spec !== null && 'plugin' in spec ? spec.plugin : (spec as PluginSource);
      config = typeof spec === 'object' && spec !== null && 'plugin' in spec ? (spec.config ?? {}) : {};
      source = describe(src);
      plugin = await instantiate(src, source);
    }
    try {
      assertName('plugin name', plugin.info.name);
    } catch (cause) {
      throw fail(source, (cause as Error).message, cause);
    }
    if (typeof plugin.info.version !== 'string' || plugin.info.version.length === 0) {
      throw fail(plugin.info.name, 'info.version must be a non-empty string');
    }
    if (seen.has(plugin.info.name))
      throw fail(plugin.info.name, 'is loaded twice (plugin names must be unique on a node)');
    seen.add(plugin.info.name);
    if (!isRemoteSpec(spec)) out.push({ plugin, config, source });
  }
}
