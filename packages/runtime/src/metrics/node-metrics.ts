import type { EventCounters } from '../events/local-bus.js';
import type { ConnectionState } from '../nats/connection.js';
import type { MetricsBuilder } from './collectors.js';

const EVENT_COUNTERS: readonly (readonly [keyof EventCounters, string, string])[] = [
  ['published', 'hubspoke_events_published_total', 'events published by plugins on this node'],
  ['sent', 'hubspoke_events_sent_total', 'events sent to the other side (Down on control, Up on edges)'],
  [
    'received',
    'hubspoke_events_received_total',
    'events that arrived from the other side (Up on control, Down on edges)',
  ],
  ['delivered', 'hubspoke_events_delivered_total', 'events handed to local subscriptions'],
  ['dropped', 'hubspoke_events_dropped_total', "events dropped because a subscription's queue was full"],
  ['handlerErrors', 'hubspoke_events_handler_errors_total', 'event handlers that threw'],
  ['rejected', 'hubspoke_events_rejected_total', 'messages refused: malformed, or contradicting their subject'],
  ['duplicates', 'hubspoke_events_duplicates_total', 'events dropped as already seen (same id)'],
];

/** The metrics every node has: its event counters and its NATS connection. */
export function addNodeMetrics(
  m: MetricsBuilder,
  counters: Readonly<EventCounters>,
  conn: Readonly<ConnectionState>,
): void {
  for (const [key, name, help] of EVENT_COUNTERS) m.counter(name, help, () => counters[key]);
  m.gauge('hubspoke_nats_connected', '1 while connected to NATS, else 0', () => (conn.connected ? 1 : 0));
  m.counter('hubspoke_nats_reconnects_total', 'reconnects to NATS since start', () => conn.reconnects);
}
