import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ErrorCode, HubspokeError } from '@hubspoke/sdk';
import type { Registry } from 'prom-client';

/** Options of {@link startMetricsServer}. */
export interface MetricsServerOptions {
  /** `host:port`; port 0 picks a free one. */
  listen: string;
  registry: Registry;
  /** For `/readyz`: undefined when ready, else why not. */
  notReady: () => string | undefined;
}

/** A running metrics and health endpoint. */
export interface MetricsServer {
  /** The bound `host:port`. */
  readonly address: string;
  close(): Promise<void>;
}

function splitListen(listen: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(listen);
  if (!m || Number(m[2]) > 65535) {
    throw new HubspokeError(ErrorCode.ConfigInvalid, `metrics.listen: ${JSON.stringify(listen)} is not host:port`);
  }
  return { host: (m[1] as string).replace(/^\[|\]$/g, ''), port: Number(m[2]) };
}

/**
 * Serves `GET /metrics` (Prometheus text), `/healthz` (200 while the process runs) and `/readyz` (200 while
 * connected to NATS, 503 with the reason otherwise). Plain HTTP, no authentication: bind it to loopback or a
 * private interface.
 */
export async function startMetricsServer(o: MetricsServerOptions): Promise<MetricsServer> {
  const { host, port } = splitListen(o.listen);
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      o.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': o.registry.contentType }).end(text),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(err)}\n`),
      );
    } else if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const why = o.notReady();
      res.writeHead(why === undefined ? 200 : 503, { 'content-type': 'text/plain' }).end(`${why ?? 'ready'}\n`);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: /metrics, /healthz, /readyz\n');
    }
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (cause: Error) =>
      reject(
        new HubspokeError(ErrorCode.ConfigInvalid, `metrics.listen: cannot listen on ${o.listen}: ${cause.message}`, {
          cause,
        }),
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  const address = `${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}`;
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
