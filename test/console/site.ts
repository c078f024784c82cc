import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '@hubspoke/control-plane';
import { startEdgeNode, type EdgeNode } from '@hubspoke/edge-node';
import { BasePlugin, type ConfigProvider } from '@hubspoke/sdk';
import { fastPayloads } from '../admin/site.js';
import { testLog } from '../fixtures/fabric.js';
import { Sender } from '../fixtures/receiver.js';
import { startNatsServer, type NatsServer } from '../helpers/index.js';

export const TOKEN = 'console-test-token-0123456789';

/** An edge plugin with a config schema the control plane does not know: the edges validate plugin.tunable. */
export class Tunable extends BasePlugin implements ConfigProvider {
  constructor() {
    super({ name: 'tunable', version: '1.0.0' });
  }
  getConfigSchema(): Record<string, unknown> {
    return {
      type: 'object',
      properties: { lookupMs: { type: 'integer', minimum: 10 } },
      additionalProperties: false,
    };
  }
}

/** A hub, a control plane with the console (and the admin API behind the same token), and edges. */
export interface ConsoleSite extends AsyncDisposable {
  hub: NatsServer;
  cp: ControlPlane;
  /** `http://host:port` of the console. */
  url: string;
  edges: Map<string, { node: EdgeNode; sender: Sender }>;
  edge(edgeId: string, namespace: string): Promise<Sender>;
}

export async function startConsoleSite(plugins: BasePlugin[]): Promise<ConsoleSite> {
  const hub = await startNatsServer({ domain: 'hub' });
  const dir = await mkdtemp(join(tmpdir(), 'hubspoke-console-'));
  let cp: ControlPlane;
  try {
    cp = await startControlPlane({
      natsUrl: hub.url,
      log: testLog(),
      plugins,
      payloads: fastPayloads,
      admin: { listen: '127.0.0.1:0', token: TOKEN },
      console: { listen: '127.0.0.1:0' },
    });
  } catch (err) {
    await hub[Symbol.asyncDispose]();
    throw err;
  }
  const edges = new Map<string, { node: EdgeNode; sender: Sender }>();
  return {
    hub,
    cp,
    url: `http://${cp.console?.address as string}`,
    edges,
    async edge(edgeId, namespace) {
      const sender = new Sender();
      const node = await startEdgeNode({
        natsUrl: hub.url,
        edgeId,
        namespace,
        log: testLog(),
        plugins: [sender, new Tunable()],
        heartbeatMs: 200,
        stateDir: join(dir, edgeId),
      });
      edges.set(edgeId, { node, sender });
      return sender;
    },
    async [Symbol.asyncDispose]() {
      await Promise.allSettled([...edges.values()].map((e) => e.node.close()));
      await cp.close().catch(() => undefined);
      await hub[Symbol.asyncDispose]();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Logs in over HTTP (no browser); returns the cookie and CSRF token. */
export async function loginHttp(url: string, token = TOKEN): Promise<{ cookie: string; csrf: string; status: number }> {
  const res = await fetch(`${url}/api/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
  const body = (await res.json()) as { csrf?: string };
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  return { cookie, csrf: body.csrf ?? '', status: res.status };
}
