import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ErrorCode, HubspokeError, assertName, capabilities, type Plugin } from '@hubspoke/sdk';

/** A plugin as given to a runtime: an instance, a class, or a module path whose default export is either. */
export type PluginSource = Plugin | (new () => Plugin) | string;

/** A plugin with its config, or just the plugin (config `{}`). */
export type PluginSpec = PluginSource | { plugin: PluginSource; config?: Record<string, unknown> };

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

async function instantiate(src: PluginSource, source: string): Promise<Plugin> {
  let value: unknown = src;
  if (typeof src === 'string') {
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(resolve(src)).href)) as Record<string, unknown>;
    } catch (cause) {
      throw fail(source, `cannot be imported: ${(cause as Error).message}`, cause);
    }
    value = mod['default'];
    if (value === undefined) throw fail(source, 'the module has no default export (export the plugin class or an instance)');
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

/** Loads every plugin, checks names (valid, unique) and shapes; fails with `HS_ERR_PLUGIN` naming the one at fault. */
export async function loadPlugins(specs: readonly PluginSpec[]): Promise<LoadedPlugin[]> {
  const out: LoadedPlugin[] = [];
  const seen = new Set<string>();
  for (const spec of specs) {
    const src = typeof spec === 'object' && spec !== null && 'plugin' in spec ? spec.plugin : (spec as PluginSource);
    const config = typeof spec === 'object' && spec !== null && 'plugin' in spec ? (spec.config ?? {}) : {};
    const source = describe(src);
    const plugin = await instantiate(src, source);
    try {
      assertName('plugin name', plugin.info.name);
    } catch (cause) {
      throw fail(source, (cause as Error).message, cause);
    }
    if (typeof plugin.info.version !== 'string' || plugin.info.version.length === 0) {
      throw fail(plugin.info.name, 'info.version must be a non-empty string');
    }
    if (seen.has(plugin.info.name)) throw fail(plugin.info.name, 'is loaded twice (plugin names must be unique on a node)');
    seen.add(plugin.info.name);
    out.push({ plugin, config, source });
  }
  return out;
}
