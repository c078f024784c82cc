import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import { FileKV, JetStreamKV, openKvBucket } from '@hubspoke/runtime';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNatsServer, type NatsServer } from '../helpers/index.js';
import { kvConformance } from './conformance.js';

let n = 0;

describe('JetStream KV (control plane at the hub; an edge on its leaf)', () => {
  let hub: NatsServer;
  let leaf: NatsServer;
  let ncHub: NatsConnection;
  let ncLeaf: NatsConnection;
  before(async () => {
    hub = await startNatsServer({ domain: 'hub', leafListen: true });
    leaf = await startNatsServer({ domain: 'edge-x', leafRemotes: [hub.leafUrl as string] });
    ncHub = await connect({ servers: hub.url });
    ncLeaf = await connect({ servers: leaf.url });
  });
  after(async () => {
    await ncHub?.close();
    await ncLeaf?.close();
    await leaf?.[Symbol.asyncDispose]();
    await hub?.[Symbol.asyncDispose]();
  });
  kvConformance('hub JetStream KV', async () => {
    const bucket = `kv-${++n}`;
    const kv = await openKvBucket(ncHub, bucket);
    return {
      a: new JetStreamKV(kv, 'plugin-a'),
      b: new JetStreamKV(kv, 'plugin-b'),
      reopenA: async () => new JetStreamKV(await openKvBucket(ncHub, bucket), 'plugin-a'),
    };
  });
  kvConformance('leaf JetStream KV (domain edge-x)', async () => {
    const bucket = `kv-${++n}`;
    const kv = await openKvBucket(ncLeaf, bucket, 'edge-x');
    return {
      a: new JetStreamKV(kv, 'plugin-a'),
      b: new JetStreamKV(kv, 'plugin-b'),
      reopenA: async () => new JetStreamKV(await openKvBucket(ncLeaf, bucket, 'edge-x'), 'plugin-a'),
    };
  });
});

describe('file KV (an edge connected straight to the hub)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hubspoke-kv-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  kvConformance('file KV', async () => {
    const d = join(dir, String(++n));
    return {
      a: new FileKV(d, 'plugin-a'),
      b: new FileKV(d, 'plugin-b'),
      reopenA: async () => new FileKV(d, 'plugin-a'),
    };
  });
});
