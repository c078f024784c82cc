import type { HubspokeNode } from '../node.js';
import { createMetricsRegistry, metricsBuilder, type MetricsBuilder } from './collectors.js';
import { addNodeMetrics } from './node-metrics.js';
import { startMetricsServer, type MetricsServer } from './server.js';

/** The `metrics` option of both runtimes. */
export interface MetricsOptions {
  /** `host:port` of the `/metrics`, `/healthz` and `/readyz` endpoint; port 0 picks a free one. @default '127.0.0.1:0' */
  listen?: string;
}

/**
 * Starts a node's metrics endpoint: the node's event and connection metrics, plus what `add` declares (the
 * runtime's own: dispatch, registry, outbox). Ready means connected to NATS.
 */
export async function startNodeMetrics(
  node: HubspokeNode,
  o: MetricsOptions,
  add?: (m: MetricsBuilder) => void,
): Promise<MetricsServer> {
  const { runtime, nodeId, namespace } = node.identity;
  const registry = createMetricsRegistry({ runtime, node: nodeId, ...(namespace ? { namespace } : {}) });
  const m = metricsBuilder(registry);
  addNodeMetrics(m, node.counters, node.connection);
  add?.(m);
  return startMetricsServer({
    listen: o.listen ?? '127.0.0.1:0',
    registry,
    notReady: () => {
      if (node.nc.isClosed()) return 'the NATS connection is closed';
      return node.connection.connected ? undefined : 'not connected to NATS';
    },
  });
}
