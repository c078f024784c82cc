import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { delimiter, join } from 'node:path';
import { ErrorCode, HubspokeError } from '@hubspoke/sdk';

const READY = /Server is ready/;
const PORT_TAKEN = /address already in use/i;
const START_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 5_000;

/** A nats-server child process of `hubspoke dev`. */
export interface DevNatsServer {
  readonly pid: number;
  readonly url: string;
  readonly clientPort: number;
  readonly monitorUrl: string;
  readonly logFile: string;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. */
  stop(): Promise<void>;
  /** SIGKILL now, synchronously (for a process 'exit' handler). */
  killNow(): void;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Finds nats-server: `NATS_SERVER_BIN` when set, else on PATH. */
export function findNatsServer(env: Readonly<Record<string, string | undefined>>): string {
  const explicit = env['NATS_SERVER_BIN'];
  if (explicit) {
    if (executable(explicit)) return explicit;
    throw missing(`NATS_SERVER_BIN=${explicit} is not an executable file.`);
  }
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    const candidate = join(dir || '.', 'nats-server');
    if (executable(candidate)) return candidate;
  }
  throw missing('nats-server is not on PATH.');
}

function missing(why: string): HubspokeError {
  return new HubspokeError(
    ErrorCode.NatsServerMissing,
    `hubspoke dev needs a nats-server binary. ${why}\n` +
      'Install it:\n' +
      '  Debian/Ubuntu:  sudo apt-get install -y nats-server\n' +
      '  macOS:          brew install nats-server\n' +
      '  elsewhere:      https://docs.nats.io/running-a-nats-service/introduction/installation\n' +
      'or point NATS_SERVER_BIN at one, or run the fabric in Docker instead: docker compose up (docker-compose.yml at the repository root).',
  );
}

function listen(): Promise<Server> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => resolve(srv));
  });
}

/** Free loopback ports, all different: each is bound to 127.0.0.1:0 together, then released. */
export async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, listen));
  const ports = servers.map((s) => {
    const a = s.address();
    return typeof a === 'object' && a !== null ? a.port : 0;
  });
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function config(client: number, monitor: number, storeDir: string): string {
  return [
    'server_name: hubspoke-dev',
    `listen: 127.0.0.1:${client}`,
    `http: 127.0.0.1:${monitor}`,
    'jetstream {',
    `  store_dir: ${JSON.stringify(storeDir)}`,
    '  domain: hub',
    '  max_memory_store: 67108864',
    '  max_file_store: 1073741824',
    '}',
    '',
  ].join('\n');
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Resolves once stderr says "Server is ready"; rejects with the output when it exits or stalls first. */
function ready(child: ChildProcess, output: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => done(new Error(`nats-server not ready within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    const onData = (): void => {
      if (READY.test(output.join(''))) done();
    };
    const onExit = (): void => done(new Error(`nats-server exited at start:\n${output.join('').trim()}`));
    function done(err?: Error): void {
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve();
    }
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

async function attempt(bin: string, dir: string): Promise<DevNatsServer> {
  const [client, monitor] = (await freePorts(2)) as [number, number];
  const confFile = join(dir, 'nats-server.conf');
  const logFile = join(dir, 'nats-server.log');
  writeFileSync(confFile, config(client, monitor, join(dir, 'jetstream')));
  // Its own process group: a Ctrl-C in the terminal reaches only us, and we stop the server last, in order.
  const child = spawn(bin, ['-c', confFile], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(logFile, { flags: 'a' });
  const output: string[] = [];
  child.stdout?.pipe(log, { end: false });
  child.stderr?.on('data', (chunk: Buffer) => {
    if (output.length < 200) output.push(chunk.toString('utf8'));
    log.write(chunk);
  });
  child.once('exit', () => log.end());
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  const killNow = (): void => {
    if (!exited(child)) child.kill('SIGKILL');
  };
  try {
    await spawned;
    await ready(child, output);
  } catch (err) {
    killNow();
    await waitExit(child, STOP_GRACE_MS);
    throw err;
  }
  return {
    pid: child.pid as number,
    url: `nats://127.0.0.1:${client}`,
    clientPort: client,
    monitorUrl: `http://127.0.0.1:${monitor}`,
    logFile,
    killNow,
    async stop() {
      if (exited(child)) return;
      child.kill('SIGTERM');
      if (!(await waitExit(child, STOP_GRACE_MS))) {
        killNow();
        await waitExit(child, STOP_GRACE_MS);
      }
    },
  };
}

/**
 * Starts nats-server with JetStream (domain `hub`, store in `dir`) on free loopback ports, and resolves once it
 * is ready. A port taken between finding it and binding it is retried with new ports.
 */
export async function startDevNatsServer(bin: string, dir: string): Promise<DevNatsServer> {
  mkdirSync(dir, { recursive: true });
  for (let i = 1; ; i++) {
    try {
      return await attempt(bin, dir);
    } catch (err) {
      if (i >= 3 || !PORT_TAKEN.test(String(err))) throw err;
    }
  }
}
