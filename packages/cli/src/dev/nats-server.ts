import { join } from 'node:path';
import { startNatsServerProcess } from '@hubspoke/runtime';

export { findNatsServer, freePorts } from '@hubspoke/runtime';

/** A nats-server child process of `hubspoke dev`. */
export interface DevNatsServer {
  readonly pid: number;
  readonly url: string;
  readonly clientPort: number;
  readonly monitorUrl: string;
  /** `nats-leaf://127.0.0.1:<port>`: where the edges' own leaf nodes dial in. */
  readonly leafUrl: string;
  readonly logFile: string;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. */
  stop(): Promise<void>;
  /** SIGKILL now, synchronously (for a process 'exit' handler). */
  killNow(): void;
}

function config(client: number, monitor: number, leaf: number, storeDir: string, include?: string): string {
  return [
    'server_name: hubspoke-dev',
    `listen: 127.0.0.1:${client}`,
    `http: 127.0.0.1:${monitor}`,
    'leafnodes {',
    `  listen: 127.0.0.1:${leaf}`,
    '}',
    'jetstream {',
    `  store_dir: ${JSON.stringify(storeDir)}`,
    '  domain: hub',
    '  max_memory_store: 67108864',
    '  max_file_store: 1073741824',
    '}',
    // Relative: nats-server joins include paths onto the including file's folder.
    ...(include === undefined ? [] : [`include ${JSON.stringify(include)}`]),
    '',
  ].join('\n');
}

/**
 * Starts nats-server with JetStream (domain `hub`, store in `dir`) on free loopback ports, and resolves once it
 * is ready. A port taken between finding it and binding it is retried with new ports. `include` (a path relative to
 * `dir`) is the auth.conf that turns authorization on.
 */
export async function startDevNatsServer(bin: string, dir: string, include?: string): Promise<DevNatsServer> {
  const logFile = join(dir, 'nats-server.log');
  const server = await startNatsServerProcess({
    bin,
    dir,
    name: 'nats-server',
    ports: 3,
    config: ([client, monitor, leaf]) =>
      config(client as number, monitor as number, leaf as number, join(dir, 'jetstream'), include),
    logFile,
    // Its own process group: a Ctrl-C in the terminal reaches only us, and we stop the server last, in order.
    detached: true,
  });
  const [client, monitor, leaf] = server.ports as [number, number, number];
  return {
    pid: server.pid,
    url: `nats://127.0.0.1:${client}`,
    clientPort: client,
    monitorUrl: `http://127.0.0.1:${monitor}`,
    leafUrl: `nats-leaf://127.0.0.1:${leaf}`,
    logFile,
    stop: () => server.stop(),
    killNow: () => server.killNow(),
  };
}
