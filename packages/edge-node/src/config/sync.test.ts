import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ALL, configSubjects, type ConfigRecord, type SetupContext } from '@hubspoke/runtime';
import { BasePlugin, type ConfigChange, type Context, type KVService } from '@hubspoke/sdk';
import type { Msg } from '@nats-io/transport-node';
import { pino } from 'pino';
import { EdgeConfig } from './sync.js';

const NS = 'ns1';
const EDGE = 'edge-1';
const enc = new TextEncoder();

/** What a heartbeat would carry if it were sent at this moment. */
interface Beat {
  at: string;
  revision: number;
  lastError: string | undefined;
}

/** A plugin that refuses a config with `refuse: true`; `seen` is told when it is offered one. */
class Tuned extends BasePlugin {
  seen: (change: ConfigChange) => void = () => undefined;
  constructor() {
    super({ name: 'tuned', version: '1.0.0' });
  }
  async onConfigChange(_ctx: Context, change: ConfigChange): Promise<void> {
    this.seen(change);
    if ((change.value as { refuse?: boolean } | undefined)?.refuse) throw new Error('not this one');
  }
}

/** An EdgeConfig on a fake connection: snapshot requests are answered "unchanged", pushes are delivered by hand. */
async function edgeConfig(plugin: Tuned, onPut: (key: string) => void) {
  const subs = new Map<string, (err: Error | null, m: Msg) => void>();
  const msg = (subject: string, body: unknown): Msg => ({ subject, data: enc.encode(JSON.stringify(body)) }) as Msg;
  const nc = {
    subscribe(subject: string, opts: { callback: (err: Error | null, m: Msg) => void }) {
      subs.set(subject, opts.callback);
      return { unsubscribe: () => subs.delete(subject) };
    },
    publish(subject: string, _data: Uint8Array, opts: { reply: string }) {
      if (subject !== configSubjects.request(NS, EDGE)) return;
      queueMicrotask(() => subs.get(opts.reply)?.(null, msg(opts.reply, { unchanged: true, digest: '' })));
    },
  };
  const kept = new Map<string, Uint8Array | string>();
  const kv: KVService = {
    get: async (k) => {
      const v = kept.get(k);
      return typeof v === 'string' ? enc.encode(v) : v;
    },
    put: async (k, v) => {
      onPut(k);
      kept.set(k, v);
    },
    delete: async (k) => kept.delete(k),
    list: async () => [...kept.keys()].sort(),
  };
  const ctx = {
    nc,
    log: pino({ level: 'silent' }),
    inboxPrefix: '_INBOX.test',
    onReconnect: () => undefined,
    host: {
      plugins: () => [plugin],
      list: () => [{ name: plugin.info.name, plugin, ctx: {} }],
    },
  } as unknown as SetupContext;
  let outcome: () => void = () => undefined;
  const cfg = new EdgeConfig({ ctx, kv, namespace: NS, edgeId: EDGE, onOutcome: () => outcome() });
  assert.equal(await cfg.start(), true);
  cfg.goLive();
  return {
    cfg,
    /** Pushes a record as the control plane would, and resolves once it was applied or rejected. */
    push(r: ConfigRecord): Promise<void> {
      const done = new Promise<void>((resolve) => (outcome = resolve));
      const subject = configSubjects.push(r.scope, r.key);
      subs.get(configSubjects.edgeSubjects(NS, EDGE)[0] as string)?.(null, msg(subject, r));
      return done;
    },
  };
}

test('a heartbeat never carries a new revision with the rejection it replaces (nor a refused one as applied)', async () => {
  const plugin = new Tuned();
  const beats: Beat[] = [];
  let cfg: EdgeConfig | undefined;
  const beat = (at: string): void => {
    if (cfg) beats.push({ at, revision: cfg.appliedRevision(), lastError: cfg.lastError() });
  };
  plugin.seen = (c) => beat(`onConfigChange@${c.revision}`);
  const e = await edgeConfig(plugin, (key) => beat(`kept ${key}`));
  cfg = e.cfg;

  await e.push({ scope: ALL, key: 'plugin.tuned', revision: 1, value: { refuse: true } });
  const refused = cfg.lastError();
  assert.match(refused ?? '', /^HS_ERR_PLUGIN plugin\.tuned@1: /);
  assert.equal(cfg.appliedRevision(), 0, 'a rejected revision is not applied');

  await e.push({ scope: ALL, key: 'plugin.tuned', revision: 2, value: { refuse: false } });
  assert.equal(cfg.appliedRevision(), 2);
  assert.equal(cfg.lastError(), undefined, 'the applied revision clears the rejection of that key');

  // While a revision is being offered and kept, a heartbeat reports the state before it, whole.
  assert.deepEqual(beats, [
    { at: 'onConfigChange@1', revision: 0, lastError: undefined },
    { at: 'onConfigChange@2', revision: 0, lastError: refused },
    { at: 'kept _all.plugin.tuned', revision: 0, lastError: refused },
  ]);
  await cfg.stop();
});

test("a heartbeat's config digest leaves out a record still being applied, and one the plugin refused", async () => {
  const plugin = new Tuned();
  const digests: { at: string; digest: string }[] = [];
  let cfg: EdgeConfig | undefined;
  plugin.seen = (c) => cfg && digests.push({ at: `onConfigChange@${c.revision}`, digest: cfg.configDigest() });
  const e = await edgeConfig(plugin, (key) => cfg && digests.push({ at: `kept ${key}`, digest: cfg.configDigest() }));
  cfg = e.cfg;
  const empty = cfg.configDigest();

  await e.push({ scope: ALL, key: 'plugin.tuned', revision: 1, value: { refuse: true } });
  assert.equal(cfg.configDigest(), empty, 'a refused record is not in the digest');
  await e.push({ scope: ALL, key: 'plugin.tuned', revision: 2, value: { refuse: false } });
  const applied = cfg.configDigest();
  assert.notEqual(applied, empty, 'the kept record is in the digest');

  assert.deepEqual(digests, [
    { at: 'onConfigChange@1', digest: empty },
    { at: 'onConfigChange@2', digest: empty },
    { at: 'kept _all.plugin.tuned', digest: empty },
  ]);
  await cfg.stop();
});
