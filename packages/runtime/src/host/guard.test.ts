import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { BasePlugin, Direction, type Manifest, type Services } from '@hubspoke/sdk';
import { guardServices } from './guard.js';
import { checkManifest } from './manifest.js';
import { parseScopes } from './scopes.js';

/** Services that record each call that reached them (unit test: the guard is what is under test). */
function fakeServices(): { services: Services; calls: string[] } {
  const calls: string[] = [];
  const rec =
    <T>(name: string, result: T) =>
    async (...args: unknown[]): Promise<T> => {
      calls.push(`${name}(${args.filter((a) => typeof a === 'string').join(',')})`);
      return result;
    };
  const services: Services = {
    events: {
      publish: rec('publish', 'id'),
      publishRaw: rec('publishRaw', 'id'),
      subscribe: rec('subscribe', 'sub'),
      subscribeAll: rec('subscribeAll', 'sub'),
      unsubscribe: rec('unsubscribe', undefined),
    },
    kv: {
      get: rec('kv.get', undefined),
      put: rec('kv.put', undefined),
      delete: rec('kv.delete', true),
      list: rec('kv.list', []),
    },
    logger: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    edge: {
      sendToControl: rec('sendToControl', { id: 'p', pending: 0 }),
      config: { get: rec('edge.config.get', undefined), list: rec('edge.config.list', []) },
    },
    control: {
      config: {
        put: rec('control.config.put', 1),
        get: rec('control.config.get', undefined),
        delete: rec('control.config.delete', false),
        list: rec('control.config.list', []),
      },
      edges: { list: rec('edges.list', []) },
    },
  };
  return { services, calls };
}

const denied = (re: RegExp) => (e: Error & { code?: string }) => e.code === 'HS_ERR_SCOPE_DENIED' && re.test(e.message);

function guarded(scopes: string[]) {
  const { services, calls } = fakeServices();
  const parsed = parseScopes(scopes);
  assert.deepEqual(parsed.problems, []);
  return { s: guardServices('p1', parsed.scopes, services), calls };
}

describe('guardServices', () => {
  test('no manifest: the services are passed through untouched', () => {
    const { services } = fakeServices();
    assert.equal(guardServices('p1', undefined, services), services);
  });

  test('publish: allowed topics reach the service, others are refused naming plugin, topic and scope', async () => {
    const { s, calls } = guarded(['events.publish:orders.>', 'events.publish:audit']);
    await s.events.publish('orders.created', {}, Direction.Up);
    await s.events.publishRaw('audit', new Uint8Array(1), Direction.Local);
    for (let i = 0; i < 2; i++) {
      // twice: the second decision comes from the cache and must be the same
      await assert.rejects(
        s.events.publish('orders', {}, Direction.Up),
        denied(
          /plugin p1: publish "orders" needs the scope events.publish:<pattern matching "orders">.*grants events.publish:orders.>, events.publish:audit/,
        ),
      );
      await assert.rejects(
        s.events.publishRaw('other.x', new Uint8Array(1), Direction.Up),
        denied(/publish "other.x"/),
      );
    }
    assert.deepEqual(calls, ['publish(orders.created)', 'publishRaw(audit)']);
  });

  test('an invalid topic is left to the service, which names the real problem', async () => {
    const { s, calls } = guarded([]);
    await s.events.publish('a..b', {}, Direction.Up);
    assert.deepEqual(calls, ['publish(a..b)']);
  });

  test('subscribe: a pattern must be covered by a scope; subscribeAll needs events.subscribe:>', async () => {
    const { s, calls } = guarded(['events.subscribe:a.>']);
    await s.events.subscribe('a.b', () => undefined);
    await s.events.subscribe('a.>', () => undefined);
    await assert.rejects(
      s.events.subscribe('>', () => undefined),
      denied(/subscribe ">" needs the scope events.subscribe:<pattern covering ">">/),
    );
    await assert.rejects(
      s.events.subscribe('*.b', () => undefined),
      denied(/subscribe "\*.b"/),
    );
    await assert.rejects(
      s.events.subscribeAll(() => undefined),
      denied(/subscribeAll needs the scope events.subscribe:>/),
    );
    await s.events.unsubscribe('sub');
    assert.deepEqual(calls, ['subscribe(a.b)', 'subscribe(a.>)', 'unsubscribe(sub)']);
    const all = guarded(['events.subscribe:>']);
    await all.s.events.subscribeAll(() => undefined);
    await all.s.events.subscribe('x.*', () => undefined);
    assert.deepEqual(all.calls, ['subscribeAll()', 'subscribe(x.*)']);
  });

  test('kv, control.send, config.read, config.write and edges.read each gate their calls', async () => {
    const none = guarded([]);
    const ops: [string, () => Promise<unknown>, RegExp][] = [
      ['kv.get', () => none.s.kv.get('k'), /kv.get needs the scope kv.readwrite/],
      ['kv.put', () => none.s.kv.put('k', 'v'), /kv.put needs the scope kv.readwrite/],
      ['kv.delete', () => none.s.kv.delete('k'), /kv.delete needs/],
      ['kv.list', () => none.s.kv.list(), /kv.list needs/],
      ['send', () => none.s.edge!.sendToControl({}), /edge.sendToControl needs the scope control.send/],
      ['edge get', () => none.s.edge!.config.get('k'), /edge.config.get needs the scope config.read/],
      ['edge list', () => none.s.edge!.config.list(), /edge.config.list needs the scope config.read/],
      ['cp get', () => none.s.control!.config.get('k'), /control.config.get needs the scope config.read/],
      ['cp list', () => none.s.control!.config.list(), /control.config.list needs the scope config.read/],
      ['cp put', () => none.s.control!.config.put('k', 1), /control.config.put needs the scope config.write/],
      ['cp delete', () => none.s.control!.config.delete('k'), /control.config.delete needs the scope config.write/],
      ['edges', () => none.s.control!.edges.list(), /control.edges.list needs the scope edges.read/],
    ];
    for (const [name, op, re] of ops) await assert.rejects(op(), denied(re), name);
    assert.deepEqual(none.calls, []);
    none.s.logger.info('the logger needs no scope');

    const all = guarded(['kv.readwrite', 'control.send', 'config.read', 'config.write', 'edges.read']);
    await all.s.kv.get('k');
    await all.s.kv.put('k', 'v');
    await all.s.kv.delete('k');
    await all.s.kv.list();
    await all.s.edge!.sendToControl({});
    await all.s.edge!.config.get('k');
    await all.s.edge!.config.list();
    await all.s.control!.config.get('k');
    await all.s.control!.config.list();
    await all.s.control!.config.put('k', 1);
    await all.s.control!.config.delete('k');
    await all.s.control!.edges.list();
    assert.equal(all.calls.length, 12, all.calls.join(' '));
  });

  test('config.read does not grant writes', async () => {
    const { s, calls } = guarded(['config.read']);
    await s.control!.config.get('k');
    await assert.rejects(s.control!.config.put('k', 1), denied(/config.write/));
    assert.deepEqual(calls, ['control.config.get(k)']);
  });

  test('edge and control exist on the guarded services only where the node gave them', () => {
    const { services } = fakeServices();
    const { edge: _e, control: _c, ...bare } = services;
    const s = guardServices('p1', parseScopes([]).scopes, bare);
    assert.equal(s.edge, undefined);
    assert.equal(s.control, undefined);
  });
});

class WithManifest extends BasePlugin {
  constructor(
    private readonly m: unknown,
    name = 'mp',
  ) {
    super({ name, version: '1.0.0' });
  }
  getManifest(): Manifest {
    if (this.m instanceof Error) throw this.m;
    return this.m as Manifest;
  }
}

describe('checkManifest', () => {
  const plugin = (e: Error & { code?: string }, re: RegExp) => e.code === 'HS_ERR_PLUGIN' && re.test(e.message);

  test('no getManifest: undefined (the plugin may do everything)', () => {
    assert.equal(checkManifest(new (class extends BasePlugin {})({ name: 'x', version: '1' })), undefined);
  });

  test('a good manifest is kept, frozen, with what its scopes grant', () => {
    const c = checkManifest(
      new WithManifest({ name: 'mp', version: '1.0.0', scopes: ['kv.readwrite', 'events.publish:a.>'] }),
    );
    assert.ok(c);
    assert.deepEqual(c.manifest, { name: 'mp', version: '1.0.0', scopes: ['kv.readwrite', 'events.publish:a.>'] });
    assert.ok(Object.isFrozen(c.manifest) && Object.isFrozen(c.manifest.scopes));
    assert.equal(c.scopes.kv, true);
    assert.deepEqual(c.scopes.publish, ['a.>']);
  });

  test('every problem is reported at once, naming the plugin and each bad scope', () => {
    assert.throws(
      () =>
        checkManifest(
          new WithManifest({ name: 'other', version: '', scopes: ['kv.readwrite', 'kv.write', 'events.publish:a..b'] }),
        ),
      (e: Error & { code?: string }) =>
        plugin(e, /^HS_ERR_PLUGIN: plugin mp: manifest is invalid: /) &&
        /name "other" is not the plugin's name "mp"/.test(e.message) &&
        /version must be a non-empty string/.test(e.message) &&
        /scope "kv.write" is unknown/.test(e.message) &&
        /scope "events.publish:a..b"/.test(e.message),
    );
  });

  test('shapes: scopes not an array, a manifest that is not an object, getManifest throwing', () => {
    assert.throws(
      () => checkManifest(new WithManifest({ name: 'mp', version: '1' })),
      (e: Error) => plugin(e, /scopes must be an array/),
    );
    assert.throws(
      () => checkManifest(new WithManifest('nope')),
      (e: Error) => plugin(e, /getManifest\(\) must return/),
    );
    assert.throws(
      () => checkManifest(new WithManifest(new Error('boom'))),
      (e: Error) => plugin(e, /getManifest\(\) threw: boom/),
    );
  });

  test('schedules: checked shape, unique ids, and the plugin must implement executeScheduledTask', () => {
    class Sched extends WithManifest {
      async executeScheduledTask(): Promise<void> {}
    }
    const ok = checkManifest(
      new Sched({
        name: 'mp',
        version: '1',
        scopes: [],
        schedules: [{ id: 'nightly', cron: '0 3 * * *', timeoutMs: 5000 }],
      }),
    );
    assert.deepEqual(ok?.manifest.schedules, [{ id: 'nightly', cron: '0 3 * * *', timeoutMs: 5000 }]);
    assert.throws(
      () =>
        checkManifest(
          new Sched({
            name: 'mp',
            version: '1',
            scopes: [],
            schedules: [
              { id: 'a', cron: '* * * * *' },
              { id: 'a', cron: '' },
              { id: '_x', cron: '* * * * *', timeoutMs: 0 },
              7,
            ],
          }),
        ),
      (e: Error) =>
        plugin(e, /schedules\[1\].id "a" is used twice/) &&
        /schedules\[1\].cron must be a cron expression/.test(e.message) &&
        /schedules\[2\].id "_x" must be/.test(e.message) &&
        /schedules\[2\].timeoutMs 0 must be an integer from 1/.test(e.message) &&
        /schedules\[3\] must be an object/.test(e.message),
    );
    assert.throws(
      () =>
        checkManifest(
          new WithManifest({ name: 'mp', version: '1', scopes: [], schedules: [{ id: 'a', cron: '* * * * *' }] }),
        ),
      (e: Error) => plugin(e, /declares schedules but has no executeScheduledTask/),
    );
  });
});
