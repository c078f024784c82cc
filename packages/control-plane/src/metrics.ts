import type { MetricsBuilder } from '@hubspoke/runtime';
import type { ConfigStore } from './config/store.js';
import type { SchedulerCounters } from './scheduler/scheduler.js';
import type { PayloadDispatch } from './payloads/setup.js';
import type { EdgesHandle } from './registry/setup.js';

const DISPATCH: readonly (readonly [keyof PayloadDispatch['counters'], string, string])[] = [
  ['offered', 'hubspoke_payloads_offered_total', 'edge payloads offered to receivers (each offer of each payload)'],
  ['handled', 'hubspoke_payloads_handled_total', 'edge payloads a receiver accepted'],
  [
    'failedOffers',
    'hubspoke_payloads_failed_offers_total',
    'offers that failed (a receiver threw or timed out): retried later',
  ],
  ['deadLettered', 'hubspoke_payloads_dead_lettered_total', 'edge payloads moved to the dead-letter stream'],
  ['duplicates', 'hubspoke_payloads_duplicates_total', 'edge payloads skipped as already handled (same id)'],
  [
    'rejected',
    'hubspoke_payloads_rejected_total',
    'edge payloads refused (dead-lettered): malformed, or naming another edge than their subject',
  ],
];

/** The control plane's own metrics: dispatch on this replica, and the edge registry. */
export function addControlMetrics(
  m: MetricsBuilder,
  payloads: PayloadDispatch,
  edges: EdgesHandle,
  config: ConfigStore,
  scheduler: Readonly<SchedulerCounters>,
): void {
  for (const [key, help] of [
    ['claimed', 'scheduled ticks this replica claimed and ran'],
    ['lost', 'scheduled ticks another replica claimed first'],
    ['succeeded', 'scheduled task runs that finished without error'],
    ['failed', 'scheduled task runs that threw'],
    ['timedOut', 'scheduled task runs that outlasted their timeoutMs'],
    ['skipped', 'scheduled ticks not attempted (noticed too late, or the previous run still going)'],
    ['claimErrors', 'scheduled ticks not run because the claim got no answer from JetStream'],
  ] as const) {
    const name = `hubspoke_schedule_${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}_total`;
    m.counter(name, help, () => scheduler[key]);
  }
  const dispatch = payloads.counters;
  for (const [key, name, help] of DISPATCH) m.counter(name, help, () => dispatch[key]);
  payloads.onLatency = m.histogram(
    'hubspoke_payload_dispatch_seconds',
    'edge payloads handled: seconds from arrival at the hub (JetStream time) to a receiver returning true, retries included',
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  );
  m.gaugeByLabel('hubspoke_edges', 'edges in the registry by state, as this replica judges them', 'state', () =>
    edges.countByState(),
  );
  m.counter('hubspoke_heartbeats_total', 'edge heartbeats accepted by this replica', () => edges.counters.heartbeats);
  m.counter(
    'hubspoke_heartbeats_rejected_total',
    'heartbeats refused: malformed, or naming another edge than their subject',
    () => edges.counters.rejected,
  );
  m.counter(
    'hubspoke_registry_write_errors_total',
    'edge registry writes to KV that failed',
    () => edges.counters.writeErrors,
  );
  m.counter(
    'hubspoke_config_changes_total',
    'config puts and deletes stored through this replica',
    () => config.counters.puts + config.counters.deletes,
  );
  m.counter(
    'hubspoke_config_refused_total',
    'config changes refused: invalid, or rejected by an object hook',
    () => config.counters.refused,
  );
  m.counter(
    'hubspoke_config_requests_refused_total',
    "config snapshot requests refused: reply subject not the edge's inbox",
    () => config.counters.badRequests,
  );
  m.counter(
    'hubspoke_config_snapshots_total',
    'config snapshots sent to edges by this replica (not counting "unchanged")',
    () => config.counters.snapshots,
  );
  m.gauge(
    'hubspoke_config_lag_edges',
    'edges not offline whose applied config revision is below the latest they should see',
    () => edges.configLag(),
  );
}
