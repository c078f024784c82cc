import type { MetricsBuilder } from '@hubspoke/runtime';
import type { Gateway } from './gateway.js';

/** The gateway's counters on the edge's `/metrics`. */
export function addGatewayMetrics(m: MetricsBuilder, g: Gateway): void {
  const c = g.counters;
  const t = g.telemetry.counters;
  m.counter('hubspoke_gateway_requests_total', 'requests the gateway received', () => c.requests);
  m.counter('hubspoke_gateway_blocked_total', 'requests a hook blocked', () => c.blocked);
  m.counter(
    'hubspoke_gateway_refused_total',
    'requests refused before the upstream (bad input, no route, auth)',
    () => c.refused,
  );
  m.counter(
    'hubspoke_gateway_plugin_failures_total',
    'requests answered 503 because a request hook failed',
    () => c.pluginFailures,
  );
  m.counter('hubspoke_gateway_upstream_errors_total', 'requests answered 502 or 504', () => c.upstreamErrors);
  m.counter('hubspoke_gateway_telemetry_records_total', 'telemetry records produced', () => t.records);
  m.counter('hubspoke_gateway_telemetry_dropped_total', 'telemetry records dropped at the full queue', () => t.dropped);
  m.counter('hubspoke_gateway_telemetry_sent_total', 'telemetry records handed to the payload channel', () => t.sent);
  m.gauge(
    'hubspoke_gateway_telemetry_queue',
    'telemetry records waiting for the control plane',
    () => g.telemetry.depth,
  );
}
