import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { startEdgeNode, type EdgeNode, type EdgeNodeOptions } from '@hubspoke/edge-node';
import { testLog } from '../fixtures/fabric.js';
import { startNatsServer, type NatsServer } from '../helpers/index.js';

/**
 * An edge site as in production: a hub with JetStream (domain hub) and the edge's leaf nats-server with its own
 * JetStream domain (`edge-<edgeId>`) that holds the outbox.
 */
export interface LeafSite extends AsyncDisposable {
  hub: NatsServer;
  leaf: NatsServer;
  /** The edge's state folder. */
  stateDir: string;
  /** The environment of an edge child process (`startNodeProcess('edge-sender', …)`) on this site. */
  env: Record<string, string>;
  /** Starts the edge in process on the leaf (namespace eu, no plugins unless given). */
  edge(o?: Partial<EdgeNodeOptions>): Promise<EdgeNode>;
}

/**
 * Sites for one suite (call it inside `describe`): the edges' state goes to a temp folder made before the
 * suite's tests and removed after them. `site(edgeId)` starts one; `stateDir(name)` is a folder in it.
 */
export function leafSites(prefix: string): {
  site(edgeId: string): Promise<LeafSite>;
  stateDir(name: string): string;
} {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const stateDir = (name: string): string => join(dir, name);
  return {
    stateDir,
    async site(edgeId) {
      const hub = await startNatsServer({ domain: 'hub', leafListen: true });
      let leaf: NatsServer;
      try {
        leaf = await startNatsServer({ domain: `edge-${edgeId}`, leafRemotes: [hub.leafUrl as string] });
      } catch (err) {
        await hub[Symbol.asyncDispose]();
        throw err;
      }
      const state = stateDir(edgeId);
      return {
        hub,
        leaf,
        stateDir: state,
        env: { NATS_URL: leaf.url, EDGE_ID: edgeId, NAMESPACE: 'eu', STATE_DIR: state },
        edge: (o = {}) =>
          startEdgeNode({
            natsUrl: leaf.url,
            edgeId,
            namespace: 'eu',
            log: testLog(),
            plugins: [],
            stateDir: state,
            ...o,
          }),
        async [Symbol.asyncDispose]() {
          await leaf[Symbol.asyncDispose]();
          await hub[Symbol.asyncDispose]();
        },
      };
    },
  };
}
