import { ErrorCode, HubspokeError } from '@hubspoke/sdk';
import { ensureKvBucket, type SetupContext } from '@hubspoke/runtime';
import type { StateOptions } from '../state.js';
import { parseCron } from './cron.js';
import { Scheduler, type ScheduledTask, type SchedulerCounters, type SchedulerOptions } from './scheduler.js';

/** The bucket where replicas claim ticks: one key per plugin, schedule and tick. */
export const SCHEDULE_BUCKET = 'hs-schedule';
/** How long a claim is kept: far longer than `maxLateMs`, so a late replica always finds the tick claimed. */
export const CLAIM_MAX_AGE_MS = 3600_000;

/** The scheduler's part in the control plane's lifecycle. */
export interface SchedulerParts {
  /** Arms every schedule (after the plugins' `onSessionReady`). */
  start(): void;
  /** Stops arming ticks, waits a bounded time for runs in progress (before the plugins shut down). */
  stop(): Promise<void>;
  readonly counters: Readonly<SchedulerCounters>;
}

const DEFAULTS: SchedulerOptions = { maxLateMs: 60_000, defaultTimeoutMs: 60_000, stopWaitMs: 10_000 };

/**
 * Parses every plugin's schedules (failing start with `HS_ERR_PLUGIN` naming the plugin, the schedule and the
 * cron problem), and opens the claim bucket when there is anything to schedule.
 */
export async function openScheduler(
  ctx: SetupContext,
  state: StateOptions,
  opts: Partial<SchedulerOptions> = {},
): Promise<SchedulerParts> {
  const tasks: ScheduledTask[] = [];
  for (const [plugin, manifest] of ctx.host.manifests()) {
    for (const schedule of manifest.schedules ?? []) {
      try {
        tasks.push({ plugin, schedule, cron: parseCron(schedule.cron) });
      } catch (cause) {
        throw new HubspokeError(
          ErrorCode.Plugin,
          `plugin ${plugin}: schedule ${schedule.id}: ${(cause as Error).message}`,
          { cause },
        );
      }
    }
  }
  const empty: SchedulerCounters = {
    claimed: 0,
    lost: 0,
    succeeded: 0,
    failed: 0,
    timedOut: 0,
    skipped: 0,
    claimErrors: 0,
  };
  if (tasks.length === 0) return { start: () => undefined, stop: async () => undefined, counters: empty };
  const claims = await ensureKvBucket(ctx.nc, SCHEDULE_BUCKET, { ...state, ttlMs: CLAIM_MAX_AGE_MS });
  const scheduler = new Scheduler(claims, ctx.host, tasks, ctx.log.child({ component: 'scheduler' }), {
    ...DEFAULTS,
    ...opts,
  });
  return { start: () => scheduler.start(), stop: () => scheduler.stop(), counters: scheduler.counters };
}
