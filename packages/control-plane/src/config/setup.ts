import { ErrorCode, HubspokeError, capabilities, type ControlConfigService } from '@hubspoke/sdk';
import { ALL, ensureKvBucket, pluginCall, validatePluginConfig, type SetupContext } from '@hubspoke/runtime';
import type { StateOptions } from '../state.js';
import { CONFIG_BUCKET, ConfigStore, hookRefusal, type ConfigGate } from './store.js';

/** How long an object hook may take. */
const HOOK_TIMEOUT_MS = 10_000;

/** The control plane's config: the store, and the service plugins and `cp.config` use. */
export interface ConfigParts {
  store: ConfigStore;
  service: ControlConfigService;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * The gate every change passes: a `plugin.<name>` value must be a JSON object, valid against the schema of a
 * control-plane plugin of that name when there is one; then each `ObjectHookHandler` plugin, in load order, may
 * allow it, replace the value (the next hook sees the replacement), or refuse it with a reason.
 */
function gate(ctx: SetupContext): ConfigGate {
  return {
    async check(op, scope, key, value) {
      let v = value;
      for (const h of ctx.host.list()) {
        const p = h.plugin;
        if (!capabilities.isObjectHookHandler(p)) continue;
        const change = {
          operation: op,
          key,
          ...(scope === ALL ? {} : { namespace: scope }),
          ...(op === 'put' ? { value: v } : {}),
        };
        const res = await pluginCall(h.name, 'onObjectChange', HOOK_TIMEOUT_MS, () => p.onObjectChange(h.ctx, change));
        if (!res || res.allow !== true) throw hookRefusal(h.name, scope, key, res?.reason);
        if (op === 'put' && res.value !== undefined) v = res.value;
      }
      if (op === 'put' && key.startsWith('plugin.')) {
        const name = key.slice('plugin.'.length);
        if (!isObject(v)) {
          throw new HubspokeError(ErrorCode.ConfigInvalid, `config ${key}: a plugin's config must be a JSON object`);
        }
        const owner = ctx.host.list().find((h) => h.name === name)?.plugin;
        if (owner && capabilities.isConfigProvider(owner)) validatePluginConfig(name, owner.getConfigSchema(), v);
      }
      return v;
    },
  };
}

/** Opens the config store (bucket `hs-config`) and loads it. */
export async function openConfig(ctx: SetupContext, state: StateOptions): Promise<ConfigParts> {
  const kv = await ensureKvBucket(ctx.nc, CONFIG_BUCKET, state);
  const store = new ConfigStore(ctx.nc, kv, ctx.log.child({ component: 'config' }), gate(ctx));
  await store.open();
  const service: ControlConfigService = {
    put: (key, value, o) => store.put(key, value, o?.namespace),
    get: (key, o) => store.get(key, o?.namespace),
    delete: (key, o) => store.delete(key, o?.namespace),
    list: async (o) => store.list(o?.namespace, o?.prefix ?? ''),
  };
  return { store, service };
}
