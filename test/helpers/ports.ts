import { createServer } from 'node:net';

/** Ports the helpers hand out: below Linux's ephemeral range (32768–60999), so no `listen(0)` or outgoing
 * connection of any process can be given one. A cluster node killed and restarted keeps its ports: with ports
 * from the ephemeral range, an HTTP server of a test running beside it once took the node's port in between. */
const LOW = 15000;
const HIGH = 32000;

function tryPort(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago: a random one in [15000, 32000) that binds, else one the
 * kernel chooses. Another process can take it before the caller binds it; `startNatsServer` retries with new
 * ports when that happens.
 */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = LOW + Math.floor(Math.random() * (HIGH - LOW));
    if (await tryPort(port)) return port;
  }
  return kernelPort();
}

function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close((err) => (err ? reject(err) : port > 0 ? resolve(port) : reject(new Error('freePort: no port'))));
    });
  });
}

/** `count` distinct free ports (distinct from each other and from `exclude`). */
export async function freePorts(count: number, exclude: Iterable<number> = []): Promise<number[]> {
  const taken = new Set(exclude);
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await freePort();
    if (taken.has(port)) continue;
    taken.add(port);
    ports.push(port);
  }
  return ports;
}
