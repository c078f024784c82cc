import { startNatsServer, PortInUseError } from './nats-server.js';
import type { NatsServer, NatsServerOptions } from './nats-types.js';
import { freePorts } from './ports.js';
import { waitFor } from './wait.js';

/** Options of {@link startCluster}: those of every node, except the cluster block and the name, which it sets. */
export interface NatsClusterOptions extends Omit<NatsServerOptions, 'cluster' | 'name' | 'monitor'> {
  /** Cluster name; nodes are named `<name>-1` ... `<name>-n`. @default 'hs-cluster' */
  clusterName?: string;
  /** How long to wait for all routes (and, with JetStream, a metadata leader with every peer). @default 15000 */
  formTimeoutMs?: number;
}

/**
 * Starts `size` servers routed to each other (JetStream on, unless `jetstream: false`), each with a monitor port,
 * and resolves once every node has a route to every other and, with JetStream, every node sees a metadata leader
 * and all peers. A route port taken meanwhile restarts the whole attempt with new ports. Dispose the result to
 * stop every node.
 */
export async function startCluster(
  size: number,
  options: NatsClusterOptions = {},
): Promise<NatsServer[] & AsyncDisposable> {
  const { clusterName = 'hs-cluster', formTimeoutMs = 15_000, ...nodeOptions } = options;
  for (let attempt = 1; ; attempt++) {
    const routePorts = await freePorts(size);
    const routeUrls = routePorts.map((port) => `nats-route://127.0.0.1:${port}`);
    const started = await Promise.allSettled(
      routePorts.map((port, i) =>
        startNatsServer({
          ...nodeOptions,
          name: `${clusterName}-${i + 1}`,
          monitor: true,
          cluster: { name: clusterName, port, routes: routeUrls.filter((_, j) => j !== i) },
        }),
      ),
    );
    const servers = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    const cluster = Object.assign(servers, {
      [Symbol.asyncDispose]: async () => {
        await Promise.all(servers.map((s) => s[Symbol.asyncDispose]()));
      },
    });
    const failure = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    try {
      if (failure !== undefined) throw failure.reason;
      await waitFor(() => formed(servers, size, nodeOptions.jetstream ?? true), {
        timeoutMs: formTimeoutMs,
        intervalMs: 100,
        message: `cluster ${clusterName} of ${size} did not form`,
      });
      return cluster;
    } catch (err) {
      // What each node says, for a cluster that did not form (a node's monitor port unreachable for 15 s, once:
      // the cause was not in the error). It is tried again with new ports, like a port taken meanwhile.
      const report = servers
        .map((s) => `${s.name} (${s.running ? 'running' : 'exited'}):\n${s.logs().split('\n').slice(-8).join('\n')}`)
        .join('\n');
      await cluster[Symbol.asyncDispose]();
      if (attempt >= 3) {
        throw err instanceof PortInUseError
          ? err
          : new Error(`${(err as Error).message}; the nodes:\n${report}`, { cause: err });
      }
      if (!(err instanceof PortInUseError))
        console.error(`startCluster: attempt ${attempt} failed (${String(err)}); again\n${report}`);
    }
  }
}

async function formed(servers: NatsServer[], size: number, jetstream: boolean): Promise<boolean> {
  const checks = servers.map(async (server) => {
    const routez = (await monitor(server, '/routez')) as { num_routes?: number };
    if ((routez.num_routes ?? 0) < size - 1) return false;
    if (!jetstream) return true;
    const jsz = (await monitor(server, '/jsz')) as {
      meta_cluster?: { leader?: string; cluster_size?: number };
    };
    const meta = jsz.meta_cluster;
    return meta?.leader !== undefined && meta.leader !== '' && meta.cluster_size === size;
  });
  return (await Promise.all(checks)).every(Boolean);
}

async function monitor(server: NatsServer, path: string): Promise<unknown> {
  if (server.monitorUrl === undefined) throw new Error(`${server.name} has no monitor port`);
  const res = await fetch(server.monitorUrl + path, { signal: AbortSignal.timeout(2000) });
  if (!res.ok) throw new Error(`${server.name} ${path}: HTTP ${res.status}`);
  return res.json();
}
