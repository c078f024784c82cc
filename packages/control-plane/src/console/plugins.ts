import { ErrorCode, HubspokeError, capabilities, type UIManifest, type UIProvider } from '@hubspoke/sdk';
import { pluginCall, type HostedPlugin, type PluginHost } from '@hubspoke/runtime';
import type { Logger as Pino } from 'pino';

/** A plugin's pages as the console lists them. */
export interface ConsolePluginUI {
  name: string;
  title: string;
  pages: { path: string; title: string; entry: string }[];
}

/** The bridge script the console puts in front of every plugin page's HTML (it defines `window.hubspoke`). */
export const BRIDGE_PATH = '/bridge.js';

/**
 * The content security policy of plugin assets: a sandbox of its own (an opaque origin: no cookies, no access to
 * the console's page), scripts and styles from the console's server only, and no network at all: a page reaches
 * its plugin through `window.hubspoke.rpc`, which the console answers over postMessage.
 */
export const PLUGIN_CSP = [
  'sandbox allow-scripts allow-forms',
  "default-src 'none'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'none'",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'self'",
].join('; ');

interface Known {
  hosted: HostedPlugin;
  ui: UIProvider;
  manifest: UIManifest;
}

/** The UIProvider plugins of the control plane; each manifest read once, checked, and kept. */
export class PluginUIs {
  private known: Map<string, Known> | undefined;

  constructor(
    private readonly host: PluginHost,
    private readonly timeoutMs: number,
    private readonly log: Pino,
  ) {}

  async list(): Promise<ConsolePluginUI[]> {
    return [...(await this.all()).values()].map((k) => ({
      name: k.hosted.name,
      title: k.manifest.title,
      pages: k.manifest.pages.map((p) => ({ path: p.path, title: p.title, entry: p.entry })),
    }));
  }

  /** One of the plugin's files, HTML with the bridge script in front. */
  async asset(name: string, path: string): Promise<{ body: Uint8Array; contentType: string } | undefined> {
    const k = await this.get(name);
    const a = await pluginCall(name, 'getAsset', this.timeoutMs, () => k.ui.getAsset(path));
    if (!a) return undefined;
    if (!/^text\/html\b/i.test(a.contentType)) return a;
    const html = Buffer.from(a.body).toString('utf8');
    const tag = `<script src="${BRIDGE_PATH}"></script>`;
    const at = /<head[^>]*>/i.exec(html);
    const out = at ? html.slice(0, at.index + at[0].length) + tag + html.slice(at.index + at[0].length) : tag + html;
    return { body: Buffer.from(out, 'utf8'), contentType: a.contentType };
  }

  /** Calls `handleRPC` for a method the manifest lists; any other is refused with HS_ERR_FORBIDDEN. */
  async rpc(name: string, method: string, payload: unknown): Promise<unknown> {
    const k = await this.get(name);
    const allowed = k.manifest.rpc ?? [];
    if (!allowed.includes(method)) {
      throw new HubspokeError(
        ErrorCode.Forbidden,
        `plugin ${name} does not list the RPC method ${JSON.stringify(method)} in its UI manifest (rpc: ${allowed.join(', ') || 'none'})`,
      );
    }
    return pluginCall(name, `handleRPC ${method}`, this.timeoutMs, () => k.ui.handleRPC(k.hosted.ctx, method, payload));
  }

  private async get(name: string): Promise<Known> {
    const k = (await this.all()).get(name);
    if (!k) throw new HubspokeError(ErrorCode.InvalidName, `no plugin ${JSON.stringify(name)} with console pages`);
    return k;
  }

  /**
   * Every UIProvider's manifest, read once. A plugin whose manifest fails is left out (and logged), and asked
   * again next time: one broken plugin does not take the others' pages down.
   */
  private async all(): Promise<Map<string, Known>> {
    const known = (this.known ??= new Map());
    for (const hosted of this.host.list()) {
      const ui = hosted.plugin;
      if (known.has(hosted.name) || !capabilities.isUIProvider(ui)) continue;
      try {
        const manifest = await pluginCall(hosted.name, 'getUIManifest', this.timeoutMs, () => ui.getUIManifest());
        known.set(hosted.name, { hosted, ui, manifest: checkManifest(hosted.name, manifest) });
      } catch (err) {
        this.log.warn(
          { plugin: hosted.name, err },
          'console: a UIProvider has no usable manifest; its pages are left out',
        );
      }
    }
    return known;
  }
}

function checkManifest(name: string, m: UIManifest): UIManifest {
  const bad = (why: string): never => {
    throw new HubspokeError(ErrorCode.Plugin, `plugin ${name}: getUIManifest: ${why}`);
  };
  if (typeof m !== 'object' || m === null) bad('not an object');
  if (typeof m.title !== 'string' || m.title === '') bad('title: a non-empty string required');
  if (!Array.isArray(m.pages)) bad('pages: an array required');
  for (const p of m.pages) {
    if (typeof p.path !== 'string' || !p.path.startsWith('/'))
      bad(`pages: path ${JSON.stringify(p.path)} must start with /`);
    if (typeof p.entry !== 'string' || p.entry === '') bad(`pages: entry of ${p.path}: a non-empty string required`);
    if (typeof p.title !== 'string') bad(`pages: title of ${p.path}: a string required`);
  }
  if (m.rpc !== undefined && (!Array.isArray(m.rpc) || m.rpc.some((x) => typeof x !== 'string'))) {
    bad('rpc: an array of method names required');
  }
  return m;
}
