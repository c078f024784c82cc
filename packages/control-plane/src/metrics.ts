import type { MetricsBuilder } from '@hubspoke/runtime';
import type { DispatchCounters } from './payloads/dispatcher.js';
import type { EdgesHandle } from './registry/setup.js';

const DISPATCH: readonly (readonly [keyof DispatchCounters, string, string])[] = [
  ['offered', 'hubspoke_payloads_offered_total', 'edge payloads offered to receivers (each offer of each payload)'],
  ['handled', 'hubspoke_payloads_handled_total', 'edge payloads a receiver accepted'],
  ['failedOffers', 'hubspoke_payloads_failed_offers_total', 'offers that failed (a receiver threw or timed out): retried later'],
  ['deadLettered', 'hubspoke_payloads_dead_lettered_total', 'edge payloads moved to the dead-letter stream'],
  ['duplicates', 'hubspoke_payloads_duplicates_total', 'edge payloads skipped as already handled (same id)'],
  ['rejected', 'hubspoke_payloads_rejected_total', 'edge payloads refused (dead-lettered): malformed, or naming another edge than their subject'],
];

/** The control plane's own metrics: dispatch on this replica, and the edge registry. */
export function addControlMetrics(m: MetricsBuilder, dispatch: Readonly<DispatchCounters>, edges: EdgesHandle): void {
  for (const [key, name, help] of DISPATCH) m.counter(name, help, () => dispatch[key]);
  m.gaugeByLabel('hubspoke_edges', 'edges in the registry by state, as this replica judges them', 'state', () =>
    edges.countByState());
  m.counter('hubspoke_heartbeats_total', 'edge heartbeats accepted by this replica', () => edges.counters.heartbeats);
  m.counter('hubspoke_heartbeats_rejected_total', 'heartbeats refused: malformed, or naming another edge than their subject', () =>
    edges.counters.rejected);
  m.counter('hubspoke_registry_write_errors_total', 'edge registry writes to KV that failed', () => edges.counters.writeErrors);
}
