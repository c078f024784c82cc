// TLS between nodes/leaves and the hub, certificates verified both ways (mTLS), with authorization on. The PKI is
// made with openssl at test time.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startControlPlane, type ControlPlane } from '@hubspoke/control-plane';
import { startEdgeNode, startManagedLeaf, type EdgeNode } from '@hubspoke/edge-node';
import { addEdge, authPaths, connectNats, createRootLogger, initAuthDir } from '@hubspoke/runtime';
import { Direction, ErrorCode, isHubspokeError } from '@hubspoke/sdk';
import { testLog } from '../fixtures/fabric.js';
import { Recorder } from '../fixtures/recorder.js';
import { makeTestPki, startNatsServer, waitFor, type NatsServer, type TestPki } from '../helpers/index.js';

const quiet = createRootLogger('test', { level: 'silent' });
const WAIT = { timeoutMs: 20_000 };

describe('TLS to the hub, verified both ways', () => {
  let pki: TestPki;
  let pkiDir: string;
  let hub: NatsServer;
  let dir: string;
  let cp: ControlPlane;
  const nodes: EdgeNode[] = [];
  const rec = {
    control: new Recorder('rec-control'),
    direct: new Recorder('rec-direct'),
    leaf: new Recorder('rec-leaf'),
  };

  before(async () => {
    pkiDir = mkdtempSync(join(tmpdir(), 'hubspoke-pki-'));
    pki = makeTestPki(pkiDir);
    const tlsBlock = (indent: string): string =>
      [
        `${indent}tls {`,
        `${indent}  cert_file: ${JSON.stringify(pki.server.cert)}`,
        `${indent}  key_file: ${JSON.stringify(pki.server.key)}`,
        `${indent}  ca_file: ${JSON.stringify(pki.ca)}`,
        `${indent}  verify: true`,
        `${indent}  timeout: 3`,
        `${indent}}`,
      ].join('\n');
    hub = await startNatsServer({ domain: 'hub', leafListen: true, monitor: true, leafnodesExtra: tlsBlock('  ') });
    dir = join(hub.dir, 'auth');
    initAuthDir(dir);
    addEdge(dir, 'tls-direct', 'eu');
    addEdge(dir, 'tls-leaf', 'us');
    await hub.writeConfig(`${tlsBlock('')}\ninclude ./auth/auth.conf`);
    await hub.restart();
  });

  after(async () => {
    await Promise.allSettled(nodes.map((n) => n.close()));
    await cp?.close().catch(() => undefined);
    await hub?.[Symbol.asyncDispose]();
    rmSync(pkiDir, { recursive: true, force: true });
  });

  test('the control plane, a direct edge and an edge through its managed leaf work over mutual TLS', async () => {
    const mtls = { ca: pki.ca, cert: pki.client.cert, key: pki.client.key };
    const paths = authPaths(dir);
    cp = await startControlPlane({
      natsUrl: hub.url,
      credentials: paths.control,
      tls: mtls,
      plugins: [rec.control],
      log: testLog(),
    });
    nodes.push(
      await startEdgeNode({
        natsUrl: hub.url,
        edgeId: 'tls-direct',
        namespace: 'eu',
        credentials: paths.edge('tls-direct'),
        tls: mtls,
        plugins: [rec.direct],
        stateDir: join(hub.dir, 'direct'),
        log: testLog(),
      }),
    );
    const viaLeaf = await startEdgeNode({
      leaf: { hubUrl: hub.leafUrl as string },
      edgeId: 'tls-leaf',
      namespace: 'us',
      credentials: paths.edge('tls-leaf'),
      tls: mtls,
      plugins: [rec.leaf],
      stateDir: join(hub.dir, 'leaf'),
      log: testLog(),
    });
    nodes.push(viaLeaf);
    assert.equal(cp.node.nc.info?.tls_required, true);
    for (const n of nodes) await n.events.publish('tls.up', { from: n.edgeId }, Direction.Up);
    await waitFor(() => rec.control.events.filter((e) => e.topic === 'tls.up').length === 2, WAIT);
    await cp.events.publish('tls.down', {}, Direction.Down);
    await waitFor(() => rec.direct.topics().includes('tls.down') && rec.leaf.topics().includes('tls.down'), WAIT);
    const leafz = (await (await fetch(`${hub.monitorUrl}/leafz`)).json()) as { leafs: { account: string }[] };
    assert.equal(leafz.leafs.filter((l) => l.account === 'HUBSPOKE').length, 1);
  });

  test('no CA, another CA, or no client certificate: refused with a coded error', async () => {
    const creds = authPaths(dir).control;
    const refused = async (tls: { ca: string; cert?: string; key?: string } | undefined, pattern: RegExp) =>
      assert.rejects(
        connectNats(
          { servers: hub.url, name: 't', credentials: creds, timeoutMs: 3000, ...(tls ? { tls } : {}) },
          quiet,
        ),
        (err: unknown) => {
          assert.ok(isHubspokeError(err, ErrorCode.NotConnected), String(err));
          assert.match(String(err), pattern);
          return true;
        },
      );
    await refused(undefined, /certificate|TLS|self.signed/i);
    await refused({ ca: pki.otherCa, cert: pki.client.cert, key: pki.client.key }, /certificate|self.signed/i);
    // The hub drops a client without a certificate after the handshake; nats.js retries until the deadline.
    await refused({ ca: pki.ca }, /./);
  });

  test("a managed leaf that does not trust the hub's certificate never links", async () => {
    const leaf = await startManagedLeaf({
      edgeId: 'tls-wrong',
      hubUrl: hub.leafUrl as string,
      storeDir: join(hub.dir, 'wrong'),
      tls: { ca: pki.otherCa, cert: pki.client.cert, key: pki.client.key },
      log: quiet,
    });
    try {
      await waitFor(() => /certificate/i.test(leaf.output()), WAIT);
      const leafz = (await (await fetch(`${hub.monitorUrl}/leafz`)).json()) as { leafnodes: number };
      assert.equal(leafz.leafnodes, 1);
    } finally {
      await leaf.close();
    }
  });
});
