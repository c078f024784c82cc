import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe } from 'node:test';
import { startControlPlane } from '@hubspoke/control-plane';
import { startEdgeNode } from '@hubspoke/edge-node';
import type { KVService } from '@hubspoke/sdk';
import { eventsConformance, type EventsNodes } from '../events/conformance.js';
import { testLog } from '../fixtures/fabric.js';
import { startNodeProcess } from '../fixtures/proc.js';
import { Probe, serveProbe } from '../fixtures/remote/probe.js';
import { startNatsServer } from '../helpers/index.js';
import { kvConformance } from '../kv/conformance.js';

// The Events and KV conformance suites, run for one plugin class twice: in process, and out of process (the
// probes are served here, the nodes run in a child process and attach to them, so every call crosses gRPC and a
// process boundary). Both must pass the same tests unchanged.

interface Probes {
  control: Probe;
  eu: Probe;
  euB: Probe;
  us: Probe;
  close(): Promise<void>;
}

async function inProcess(): Promise<Probes> {
  const hub = await startNatsServer({ domain: 'hub' });
  const dir = await mkdtemp(join(tmpdir(), 'hubspoke-conf-'));
  const p = { control: new Probe(), eu: new Probe(), euB: new Probe('probe-b'), us: new Probe() };
  const common = { natsUrl: hub.url, log: testLog() };
  const control = await startControlPlane({ ...common, plugins: [p.control] });
  const eu = await startEdgeNode({
    ...common,
    edgeId: 'edge-eu-1',
    namespace: 'eu',
    stateDir: join(dir, 'eu'),
    plugins: [p.eu, p.euB],
  });
  const us = await startEdgeNode({
    ...common,
    edgeId: 'edge-us-1',
    namespace: 'us',
    stateDir: join(dir, 'us'),
    plugins: [p.us],
  });
  return {
    ...p,
    async close() {
      await Promise.allSettled([eu.close(), us.close()]);
      await control.close();
      await hub[Symbol.asyncDispose]();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function outOfProcess(): Promise<Probes> {
  const hub = await startNatsServer({ domain: 'hub' });
  const dir = await mkdtemp(join(tmpdir(), 'hubspoke-conf-'));
  const served = {
    control: await serveProbe('probe', randomBytes(24).toString('hex')),
    eu: await serveProbe('probe', randomBytes(24).toString('hex')),
    euB: await serveProbe('probe-b', randomBytes(24).toString('hex')),
    us: await serveProbe('probe', randomBytes(24).toString('hex')),
  };
  const nodes = startNodeProcess('remote-fabric', {
    NATS_URL: hub.url,
    STATE_DIR: dir,
    PROBES: JSON.stringify(
      Object.fromEntries(Object.entries(served).map(([k, s]) => [k, { address: s.served.address, token: s.token }])),
    ),
  });
  await nodes.waitForLine(/^ready$/, 60_000);
  return {
    control: served.control.probe,
    eu: served.eu.probe,
    euB: served.euB.probe,
    us: served.us.probe,
    async close() {
      await nodes.kill();
      await Promise.allSettled(Object.values(served).map((s) => s.served.close()));
      await hub[Symbol.asyncDispose]();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function events(start: () => Promise<Probes>) {
  return async (): Promise<EventsNodes> => {
    const p = await start();
    return {
      control: p.control.services.events,
      eu: p.eu.services.events,
      us: p.us.services.events,
      plugin: 'probe',
      close: () => p.close(),
    };
  };
}

async function clear(kv: KVService): Promise<KVService> {
  for (const k of await kv.list()) await kv.delete(k);
  return kv;
}

function kv(start: () => Promise<Probes>) {
  let probes: Promise<Probes> | undefined;
  return {
    open: async () => {
      const p = await (probes ??= start());
      const a = await clear(p.eu.services.kv);
      const b = await clear(p.euB.services.kv);
      return { a, b, reopenA: async () => p.eu.services.kv };
    },
    close: async () => (await probes)?.close(),
  };
}

for (const [name, start] of [
  ['in process', inProcess],
  ['out of process', outOfProcess],
] as const) {
  describe(`Events conformance: a plugin ${name}`, () => {
    eventsConformance(`events (${name})`, events(start));
  });
  describe(`KV conformance: a plugin ${name}`, () => {
    const k = kv(start);
    kvConformance(`kv (${name})`, k.open);
    after(() => k.close());
  });
}
