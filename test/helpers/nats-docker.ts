// Optional Docker path, used only when HUBSPOKE_TEST_DOCKER=1 and `docker info` answers: runs the same generated
// config in a `nats` container through testcontainers (`npm i -D testcontainers@11.14`; 12.x needs Node 22.22).
// It is loaded with a dynamic import of a variable specifier, so this file typechecks and runs without it.
// It uses `GenericContainer` rather than `@testcontainers/nats`: NatsContainer always adds `--user test --pass test`,
// and nats.js ignores credentials written into a URL, so `server.url` alone could not connect.
// The container has no restart on the same ports, no reload, no leaf or cluster ports: options or calls that need
// them use (or throw and point at) the local binary, which stays the default.
import { execFile } from 'node:child_process';
import { renderConfig } from './nats-config.js';
import type { NatsServer, NatsServerOptions } from './nats-types.js';
import { LogBuffer } from './log-buffer.js';

const IMAGE = process.env['HUBSPOKE_TEST_NATS_IMAGE'] ?? 'nats:2.9-alpine';
const CLIENT_PORT = 4222;
const MONITOR_PORT = 8222;

interface StartedContainerLike {
  getHost(): string;
  getMappedPort(port: number): number;
  getId(): string;
  stop(options?: { timeout?: number }): Promise<unknown>;
}
interface GenericContainerLike {
  withCommand(command: string[]): GenericContainerLike;
  withExposedPorts(...ports: number[]): GenericContainerLike;
  withCopyContentToContainer(files: Array<{ content: string; target: string }>): GenericContainerLike;
  withWaitStrategy(strategy: unknown): GenericContainerLike;
  withStartupTimeout(ms: number): GenericContainerLike;
  withLogConsumer(consumer: (stream: NodeJS.ReadableStream) => unknown): GenericContainerLike;
  start(): Promise<StartedContainerLike>;
}
interface TestcontainersModule {
  GenericContainer: new (image: string) => GenericContainerLike;
  Wait: { forLogMessage(message: RegExp | string): unknown };
}

let dockerAnswer: Promise<boolean> | undefined;

/** True when `docker info` succeeds within 3 s (asked once per process). */
export function dockerAvailable(): Promise<boolean> {
  dockerAnswer ??= new Promise((resolve) => {
    execFile('docker', ['info'], { timeout: 3000 }, (err) => resolve(err === null));
  });
  return dockerAnswer;
}

/** A container server when the Docker path is enabled, usable and fits the options; else undefined. */
export async function startDockerNatsServer(options: NatsServerOptions): Promise<NatsServer | undefined> {
  if (process.env['HUBSPOKE_TEST_DOCKER'] !== '1') return undefined;
  const { leafListen, leafRemotes = [], cluster, storeDir, bin } = options;
  const localOnly = leafListen === true || leafRemotes.length > 0 || cluster !== undefined || storeDir || bin;
  if (localOnly || !(await dockerAvailable())) return undefined;
  let tc: TestcontainersModule;
  try {
    const specifier = 'testcontainers';
    tc = (await import(specifier)) as TestcontainersModule;
  } catch {
    process.emitWarning('HUBSPOKE_TEST_DOCKER=1 but testcontainers is not installed; using the local nats-server');
    return undefined;
  }

  const name = options.name ?? `hs-docker-${process.pid}-${Date.now().toString(36)}`;
  const ports = { client: CLIENT_PORT, ...(options.monitor ? { monitor: MONITOR_PORT } : {}) };
  const extraConfig = options.extraConfig ?? '';
  const config = renderConfig({ name, ports, storeDir: '/data', options, extraConfig, host: '0.0.0.0' });
  const log = new LogBuffer(1000);
  const container = await new tc.GenericContainer(IMAGE)
    .withCopyContentToContainer([{ content: config, target: '/etc/nats/hubspoke.conf' }])
    .withCommand(['-c', '/etc/nats/hubspoke.conf'])
    .withExposedPorts(...Object.values(ports))
    .withLogConsumer((stream) => stream.on('data', (chunk: Buffer | string) => log.write(String(chunk))))
    .withWaitStrategy(tc.Wait.forLogMessage(/Server is ready/))
    .withStartupTimeout(options.readyTimeoutMs ?? 60_000)
    .start();

  const host = container.getHost();
  const port = container.getMappedPort(CLIENT_PORT);
  let running = true;
  const stop = async (): Promise<void> => {
    if (!running) return;
    running = false;
    await container.stop({ timeout: 0 });
  };
  const unsupported = (what: string) => () =>
    Promise.reject(new Error(`${what} is not supported on the Docker path; unset HUBSPOKE_TEST_DOCKER`));
  return {
    name,
    url: `nats://${host}:${port}`,
    port,
    leafUrl: undefined,
    clusterUrl: undefined,
    monitorUrl: options.monitor ? `http://${host}:${container.getMappedPort(MONITOR_PORT)}` : undefined,
    pid: undefined,
    storeDir: '',
    dir: '',
    configPath: '',
    get running() {
      return running;
    },
    logs: () => log.text(),
    waitForLog: (pattern, timeoutMs = 5000) => log.waitForLine(pattern, 0, timeoutMs),
    kill: stop,
    stop,
    restart: unsupported('restart()'),
    reload: unsupported('reload()'),
    writeConfig: unsupported('writeConfig()'),
    [Symbol.asyncDispose]: stop,
  };
}
