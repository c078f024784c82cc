import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { capabilities, isHubspokeError, type Schedule } from '@hubspoke/sdk';
import { pluginCall, type PluginHost } from '@hubspoke/runtime';
import type { KV } from '@nats-io/kv';
import type { Logger as Pino } from 'pino';
import type { Cron } from './cron.js';

/** One schedule of one plugin, with its parsed cron. */
export interface ScheduledTask {
  plugin: string;
  schedule: Schedule;
  cron: Cron;
}

/** What this replica's scheduler did, counted since start. */
export interface SchedulerCounters {
  /** Ticks this replica claimed (and so ran). */
  claimed: number;
  /** Ticks another replica had claimed first. */
  lost: number;
  /** Runs that finished without error. */
  succeeded: number;
  /** Runs that threw. */
  failed: number;
  /** Runs that outlasted their `timeoutMs`. */
  timedOut: number;
  /** Ticks not attempted: this replica noticed them too late, or its previous run of the schedule was still going. */
  skipped: number;
  /** Claims that failed for another reason than a lost race (no answer from JetStream): the tick is not run. */
  claimErrors: number;
}

/** How the scheduler behaves; defaults suit production, tests shorten nothing. */
export interface SchedulerOptions {
  /** A tick noticed later than this (a stalled process, a long GC) is skipped. @default 60000 */
  maxLateMs: number;
  /** Timeout of a run whose schedule has no `timeoutMs`. @default 60000 */
  defaultTimeoutMs: number;
  /** How long `stop()` waits for runs in progress. @default 10000 */
  stopWaitMs: number;
}

const MAX_TIMER_MS = 2 ** 31 - 1;
// JetStream's "wrong last sequence" answers to a create of a key that exists.
const KEY_EXISTS = new Set([10071, 10164]);

interface Slot {
  task: ScheduledTask;
  timer?: NodeJS.Timeout | undefined;
  running?: Promise<void> | undefined;
}

/**
 * Runs the plugins' cron schedules on this control-plane replica. Every replica arms the same ticks; a tick runs
 * on the one replica whose create of `<plugin>.<schedule>.<tickUnixMs>` in the claim bucket succeeds. So a tick
 * runs at most once: if the winner dies mid-run, nobody runs that tick again. Ticks missed while no replica was
 * running are not caught up.
 */
export class Scheduler {
  readonly counters: SchedulerCounters = {
    claimed: 0,
    lost: 0,
    succeeded: 0,
    failed: 0,
    timedOut: 0,
    skipped: 0,
    claimErrors: 0,
  };
  private readonly slots: Slot[];
  private readonly replica = `${hostname()}/${process.pid}/${randomBytes(3).toString('hex')}`;
  private stopped = false;

  constructor(
    private readonly claims: KV,
    private readonly host: PluginHost,
    tasks: readonly ScheduledTask[],
    private readonly log: Pino,
    private readonly opts: SchedulerOptions,
  ) {
    this.slots = tasks.map((task) => ({ task }));
  }

  /** Arms every schedule's next tick (call once the plugins are initialized). */
  start(): void {
    for (const slot of this.slots) this.arm(slot, Date.now());
    if (this.slots.length > 0) {
      this.log.info(
        { schedules: this.slots.map((s) => `${s.task.plugin}.${s.task.schedule.id}`) },
        'scheduler started',
      );
    }
  }

  /** Stops arming ticks and waits (up to `stopWaitMs`) for runs in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const slot of this.slots) clearTimeout(slot.timer);
    const running = this.slots.flatMap((s) => (s.running ? [s.running] : []));
    if (running.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), this.opts.stopWaitMs)));
    const r = await Promise.race([Promise.allSettled(running), waited]);
    clearTimeout(timer);
    if (r === 'late')
      this.log.warn({ running: running.length }, 'scheduled tasks still running at stop; not waiting longer');
  }

  private arm(slot: Slot, after: number): void {
    if (this.stopped) return;
    const tick = slot.task.cron.next(after)?.getTime();
    if (tick === undefined) return;
    const wait = (): void => {
      const left = tick - Date.now();
      if (left > 0) slot.timer = setTimeout(wait, Math.min(left, MAX_TIMER_MS));
      else {
        // The next tick is armed before this one runs, so that a long run does not delay it.
        this.arm(slot, Math.max(tick, Date.now()));
        void this.fire(slot, tick);
      }
    };
    wait();
  }

  private async fire(slot: Slot, tick: number): Promise<void> {
    const { plugin, schedule } = slot.task;
    const key = `${plugin}.${schedule.id}.${tick}`;
    const fields = { plugin, schedule: schedule.id, tick: new Date(tick).toISOString() };
    const late = Date.now() - tick;
    if (late > this.opts.maxLateMs) {
      this.counters.skipped++;
      this.log.warn({ ...fields, lateMs: late }, 'scheduled tick noticed too late; skipped');
      return;
    }
    if (slot.running) {
      this.counters.skipped++;
      this.log.warn(fields, 'previous run of this schedule still going on this replica; tick left to another replica');
      return;
    }
    const done = this.claimAndRun(slot, tick, key, fields);
    slot.running = done;
    await done;
    slot.running = undefined;
  }

  private async claimAndRun(slot: Slot, tick: number, key: string, fields: Record<string, string>): Promise<void> {
    try {
      await this.claims.create(key, JSON.stringify({ replica: this.replica, at: new Date().toISOString() }));
    } catch (err) {
      if (KEY_EXISTS.has((err as { code?: unknown }).code as number)) {
        this.counters.lost++;
        this.log.debug(fields, 'tick claimed by another replica');
      } else {
        this.counters.claimErrors++;
        this.log.warn({ ...fields, err }, 'cannot claim the tick; it is not run here');
      }
      return;
    }
    this.counters.claimed++;
    await this.run(slot, tick, fields);
  }

  private async run(slot: Slot, tick: number, fields: Record<string, string>): Promise<void> {
    const { plugin, schedule } = slot.task;
    const h = this.host.list().find((p) => p.name === plugin);
    const p = h?.plugin;
    if (!h || !capabilities.isSchedulerPlugin(p)) return;
    const timeoutMs = schedule.timeoutMs ?? this.opts.defaultTimeoutMs;
    const started = Date.now();
    try {
      await pluginCall(plugin, `executeScheduledTask(${schedule.id})`, timeoutMs, () =>
        p.executeScheduledTask(h.ctx, Object.freeze({ ...schedule, tickAt: new Date(tick) })),
      );
      this.counters.succeeded++;
      this.log.debug({ ...fields, ms: Date.now() - started }, 'scheduled task done');
    } catch (err) {
      // pluginCall's own timeout is the one HS_ERR_PLUGIN without a cause.
      if (isHubspokeError(err) && err.cause === undefined && /did not finish within/.test(err.message)) {
        this.counters.timedOut++;
        this.log.error({ ...fields, timeoutMs, err }, 'scheduled task timed out; its result will be ignored');
      } else {
        this.counters.failed++;
        this.log.error({ ...fields, err }, 'scheduled task failed');
      }
    }
  }
}
