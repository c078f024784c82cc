import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import {
  BasePlugin,
  type Context,
  type Manifest,
  type ManifestProvider,
  type ScheduledRun,
  type SchedulerPlugin,
} from '@hubspoke/sdk';
import { startControlPlane, type ControlPlane } from '@hubspoke/control-plane';
import { Kvm } from '@nats-io/kv';
import { jetstream } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { testLog } from '../fixtures/fabric.js';
import { startNatsServer, waitFor, type NatsServer } from '../helpers/index.js';

interface Run {
  replica: string;
  id: string;
  tick: number;
}

/** Every run of every replica, in the order they started. */
const runs: Run[] = [];
let hung = 0;

/** The same plugin on each replica: a schedule every second, and one whose first run hangs. */
class Ticker extends BasePlugin implements ManifestProvider, SchedulerPlugin {
  constructor(private readonly replica: string) {
    super({ name: 'ticker', version: '1.0.0' });
  }
  getManifest(): Manifest {
    return {
      name: 'ticker',
      version: '1.0.0',
      scopes: [],
      schedules: [
        { id: 'every-second', cron: '* * * * * *', timeoutMs: 5000 },
        { id: 'hangs-once', cron: '* * * * * *', timeoutMs: 300 },
      ],
    };
  }
  async executeScheduledTask(ctx: Context, s: ScheduledRun): Promise<void> {
    runs.push({ replica: this.replica, id: s.id, tick: s.tickAt.getTime() });
    if (s.id === 'hangs-once' && hung++ === 0) {
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
    }
  }
}

type Line = Record<string, unknown>;
function collect(lines: Line[]): { level: string; destination: Writable } {
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Line);
      cb();
    },
  });
  return { level: 'debug', destination };
}

const ticksOf = (id: string) => [...new Set(runs.filter((r) => r.id === id).map((r) => r.tick))].sort((a, b) => a - b);

describe('scheduled tasks on two control-plane replicas', () => {
  let hub: NatsServer;
  const logs: Record<string, Line[]> = { a: [], b: [] };
  let replicas: ControlPlane[] = [];

  before(async () => {
    hub = await startNatsServer({ domain: 'hub' });
    replicas = await Promise.all(
      (['a', 'b'] as const).map((r) =>
        startControlPlane({ natsUrl: hub.url, log: collect(logs[r] as Line[]), plugins: [new Ticker(r)] }),
      ),
    );
  });
  after(async () => {
    await Promise.allSettled(replicas.map((r) => r.close()));
    await hub?.[Symbol.asyncDispose]();
  });

  test('each tick runs exactly once across the replicas; a hung task is timed out, logged, and the next tick runs', async () => {
    await waitFor(() => ticksOf('every-second').length >= 5, { timeoutMs: 20000, message: 'five ticks' });
    const hangTick = await waitFor(() => runs.find((r) => r.id === 'hangs-once')?.tick, { message: 'the hanging run' });
    const timedOut = await waitFor(
      () =>
        [...(logs['a'] as Line[]), ...(logs['b'] as Line[])].find(
          (l) => l['msg'] === 'scheduled task timed out; its result will be ignored' && l['schedule'] === 'hangs-once',
        ),
      { message: 'the timeout is logged' },
    );
    assert.equal(timedOut['plugin'], 'ticker');
    assert.equal(timedOut['tick'], new Date(hangTick).toISOString());
    assert.equal(timedOut['level'], 50, 'logged as an error');
    await waitFor(() => ticksOf('hangs-once').some((t) => t > hangTick), {
      message: 'a later tick of the hung schedule runs',
    });
    const closingAt = Date.now();
    await Promise.all(replicas.map((r) => r.close()));

    for (const id of ['every-second', 'hangs-once']) {
      const mine = runs.filter((r) => r.id === id);
      const ticks = ticksOf(id);
      assert.equal(mine.length, ticks.length, `${id}: no tick ran twice (${JSON.stringify(mine)})`);
      for (const t of ticks) assert.equal(t % 1000, 0, 'ticks are whole seconds');
    }
    // Both replicas really competed: for every tick at least 2 s before they were closed (a later one, one replica
    // may not have reached yet: CI once closed them before the loser of the second-to-last tick had tried it), the
    // replica that did not run it logged that the other had claimed it.
    const lost = (r: string) =>
      new Set(
        (logs[r] as Line[])
          .filter((l) => l['msg'] === 'tick claimed by another replica' && l['schedule'] === 'every-second')
          .map((l) => new Date(l['tick'] as string).getTime()),
      );
    const everySecond = runs.filter((r) => r.id === 'every-second' && r.tick <= closingAt - 2000);
    assert.ok(everySecond.length >= 2, `ticks to check: ${everySecond.length}`);
    for (const run of everySecond) {
      const other = run.replica === 'a' ? 'b' : 'a';
      assert.ok(lost(other).has(run.tick), `replica ${other} tried tick ${new Date(run.tick).toISOString()} and lost`);
    }

    // The claims are in the bucket, one key per plugin, schedule and tick.
    const conn = await connect({ servers: hub.url });
    try {
      const kv = await new Kvm(jetstream(conn)).open('hs-schedule');
      const keys: string[] = [];
      for await (const k of await kv.keys('ticker.every-second.>')) keys.push(k);
      for (const t of ticksOf('every-second')) assert.ok(keys.includes(`ticker.every-second.${t}`), `claim of ${t}`);
    } finally {
      await conn.close();
    }
  });
});

describe('schedules are checked at start', () => {
  test('a bad cron fails start with HS_ERR_PLUGIN naming the plugin, the schedule and the problem', async () => {
    await using hub = await startNatsServer();
    class BadCron extends Ticker {
      override getManifest(): Manifest {
        return { name: 'ticker', version: '1.0.0', scopes: [], schedules: [{ id: 'nightly', cron: '0 25 * * *' }] };
      }
    }
    await assert.rejects(
      startControlPlane({ natsUrl: hub.url, log: testLog(), plugins: [new BadCron('x')] }),
      (e: Error & { code?: string }) =>
        e.code === 'HS_ERR_PLUGIN' &&
        /plugin ticker: schedule nightly: HS_ERR_INVALID_ARGUMENT: cron "0 25 \* \* \*": hour: 25 is out of range 0-23/.test(
          e.message,
        ),
    );
  });
});
