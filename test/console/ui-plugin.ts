import { BasePlugin, type Context, type UIAsset, type UIManifest, type UIProvider } from '@hubspoke/sdk';

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>UI demo</title><link rel="stylesheet" href="page.css"></head>
<body>
  <h1>UI demo plugin</h1>
  <p>This page runs in a sandboxed frame and reaches its plugin only through <code>window.hubspoke.rpc</code>.</p>
  <button id="echo">Echo</button> <button id="secret">Call an unlisted method</button>
  <pre id="out">(nothing yet)</pre>
  <script src="page.js"></script>
</body></html>`;

const SCRIPT = `
const out = document.getElementById('out');
document.getElementById('echo').addEventListener('click', async () => {
  const r = await window.hubspoke.rpc('echo', { text: 'hello from the page' });
  out.textContent = 'echo: ' + JSON.stringify(r);
});
document.getElementById('secret').addEventListener('click', async () => {
  try {
    await window.hubspoke.rpc('secret', {});
    out.textContent = 'secret: allowed (wrong)';
  } catch (e) {
    out.textContent = 'secret refused: ' + e.status + ' ' + e.code;
  }
});
`;

const CSS = 'body { font: 14px system-ui, sans-serif; margin: 16px; } pre { background: #f3f4f6; padding: 8px; }';

/** A UIProvider for the console tests: one page, a script and a stylesheet, one listed RPC method. */
export class UiDemo extends BasePlugin implements UIProvider {
  readonly calls: { method: string; payload: unknown; plugin: string }[] = [];

  constructor() {
    super({ name: 'ui-demo', version: '1.0.0' });
  }

  getUIManifest(): UIManifest {
    return { title: 'UI demo', pages: [{ path: '/', title: 'Home', entry: 'index.html' }], rpc: ['echo'] };
  }

  async getAsset(path: string): Promise<UIAsset | undefined> {
    const files: Record<string, [string, string]> = {
      'index.html': [PAGE, 'text/html; charset=utf-8'],
      'page.js': [SCRIPT, 'text/javascript; charset=utf-8'],
      'page.css': [CSS, 'text/css; charset=utf-8'],
    };
    const f = files[path];
    return f ? { body: Buffer.from(f[0], 'utf8'), contentType: f[1] } : undefined;
  }

  async handleRPC(ctx: Context, method: string, payload: unknown): Promise<unknown> {
    this.calls.push({ method, payload, plugin: ctx.plugin.name });
    if (method === 'secret') return { leaked: true };
    return { echoed: payload, by: ctx.plugin.name, node: ctx.nodeId };
  }
}
