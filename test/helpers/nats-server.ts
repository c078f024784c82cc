import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { renderConfig, type NatsServerPorts } from './nats-config.js';
import { startDockerNatsServer } from './nats-docker.js';
import type { NatsServer, NatsServerOptions } from './nats-types.js';
import { LogBuffer } from './log-buffer.js';
import { freePorts } from './ports.js';
import { trackChild, trackTempDir, untrackTempDir } from './processes.js';
import { sleep } from './wait.js';

const READY = /Server is ready/;
const PORT_IN_USE = /address already in use/;
const RELOAD_DONE = /Reloaded server configuration|Failed to reload/;
const START_ATTEMPTS = 5;
const STOP_GRACE_MS = 5000;

/** Thrown when nats-server exited because a port was taken; `startNatsServer` retries with new ports. */
export class PortInUseError extends Error {
  readonly code = 'HS_TEST_PORT_IN_USE';
}

/**
 * Starts a nats-server on free loopback ports with its config in a fresh `hubspoke-nats-*` temp folder and
 * resolves once it logged "Server is ready". A port taken in the meantime makes it retry with new ports.
 * With `HUBSPOKE_TEST_DOCKER=1` and a Docker engine, simple setups run in a container instead (see nats-docker.ts).
 */
export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServer> {
  const inDocker = await startDockerNatsServer(options);
  if (inDocker !== undefined) return inDocker;

  const dir = await mkdtemp(join(tmpdir(), 'hubspoke-nats-'));
  trackTempDir(dir);
  try {
    for (let attempt = 1; ; attempt++) {
      const server = new LocalNatsServer(dir, await pickPorts(options), options);
      try {
        await server.start();
        return server;
      } catch (err) {
        const canRetry = err instanceof PortInUseError && options.cluster?.port === undefined;
        if (!canRetry || attempt >= START_ATTEMPTS) throw err;
      }
    }
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    untrackTempDir(dir);
    throw err;
  }
}

async function pickPorts(options: NatsServerOptions): Promise<NatsServerPorts> {
  const needCluster = options.cluster !== undefined && options.cluster.port === undefined;
  const fixed = options.cluster?.port === undefined ? [] : [options.cluster.port];
  const wanted = 1 + Number(options.leafListen ?? false) + Number(needCluster) + Number(options.monitor ?? false);
  const free = await freePorts(wanted, fixed);
  // Never let a 0 reach the config: nats-server reads port 0 as "the default", 4222, the shared server's port.
  const next = (): number => free.shift() ?? assert.fail('pickPorts: ran out of ports');
  const ports: NatsServerPorts = { client: next() };
  if (options.leafListen) ports.leaf = next();
  if (options.cluster !== undefined) ports.cluster = options.cluster.port ?? next();
  if (options.monitor) ports.monitor = next();
  return ports;
}

class LocalNatsServer implements NatsServer {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  readonly leafUrl: string | undefined;
  readonly clusterUrl: string | undefined;
  readonly monitorUrl: string | undefined;
  readonly storeDir: string;
  readonly dir: string;
  readonly configPath: string;
  readonly #ports: NatsServerPorts;
  readonly #options: NatsServerOptions;
  readonly #log = new LogBuffer(1000);
  #extraConfig: string;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #alive = false;

  constructor(dir: string, ports: NatsServerPorts, options: NatsServerOptions) {
    this.dir = dir;
    this.#ports = ports;
    this.#options = options;
    this.#extraConfig = options.extraConfig ?? '';
    this.name = options.name ?? `hs-${basename(dir).replace(/^hubspoke-nats-/, '')}`;
    this.storeDir = options.storeDir ?? dir;
    this.configPath = join(dir, 'nats-server.conf');
    this.port = ports.client;
    this.url = `nats://127.0.0.1:${ports.client}`;
    this.leafUrl = ports.leaf === undefined ? undefined : `nats-leaf://127.0.0.1:${ports.leaf}`;
    this.clusterUrl = ports.cluster === undefined ? undefined : `nats-route://127.0.0.1:${ports.cluster}`;
    this.monitorUrl = ports.monitor === undefined ? undefined : `http://127.0.0.1:${ports.monitor}`;
  }

  get pid(): number | undefined {
    return this.#alive ? this.#child?.pid : undefined;
  }

  get running(): boolean {
    return this.#alive;
  }

  logs(): string {
    return this.#log.text();
  }

  waitForLog(pattern: RegExp, timeoutMs = 5000): Promise<string> {
    return this.#log.waitForLine(pattern, 0, timeoutMs);
  }

  async writeConfig(extraConfig: string): Promise<void> {
    this.#extraConfig = extraConfig;
    await writeFile(this.configPath, this.#render());
  }

  /** Writes the config, spawns, and waits for "Server is ready" (rejects with the last log lines otherwise). */
  async start(): Promise<void> {
    if (this.#alive) throw new Error(`nats-server ${this.name} is already running (pid ${this.pid})`);
    await writeFile(this.configPath, this.#render());
    const bin = this.#options.bin ?? process.env['NATS_SERVER_BIN'] ?? 'nats-server';
    const mark = this.#log.mark;
    const child = spawn(bin, ['-c', this.configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    trackChild(child);
    this.#child = child;
    this.#alive = true;
    // Neither the process nor its log pipe keeps the test process alive: a forgotten server is SIGKILLed on exit.
    child.unref();
    (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => this.#log.write(chunk));
    let spawnError: Error | undefined;
    this.#exited = new Promise<void>((resolve) => {
      child.once('error', (err) => {
        spawnError = err;
        this.#alive = false;
        resolve();
      });
      child.once('close', (code, signal) => {
        this.#log.end();
        this.#alive = false;
        this.#log.note(`--- [hubspoke helper] nats-server exited (code ${code}, signal ${signal}) ---`);
        resolve();
      });
    });

    const timeoutMs = this.#options.readyTimeoutMs ?? 10_000;
    const stopWaiting = new AbortController();
    const outcome = await Promise.race([
      this.#log.waitForLine(READY, mark, timeoutMs, stopWaiting.signal).then(
        () => 'ready' as const,
        () => 'timeout' as const,
      ),
      this.#exited.then(() => 'exited' as const),
    ]);
    stopWaiting.abort();
    if (outcome === 'ready') return;
    if (outcome === 'timeout') await this.kill('SIGKILL');
    if (spawnError !== undefined) throw missingBinaryError(bin, spawnError);
    const tail = this.#log.text(25);
    const what = outcome === 'timeout' ? `not ready within ${timeoutMs} ms` : 'exited before it was ready';
    const where = `nats-server ${this.name} (${this.url}) ${what}; config ${this.configPath}`;
    const message = `${where}; last log lines:\n${tail}`;
    if (this.#log.find(PORT_IN_USE, mark) !== undefined) throw new PortInUseError(message);
    throw new Error(message);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.#alive || this.#child === undefined) return;
    this.#child.kill(signal);
    // A referenced timer keeps the event loop alive while we wait: the child itself is unref'd.
    const keepAlive = setInterval(() => {}, 1000);
    try {
      await this.#exited;
    } finally {
      clearInterval(keepAlive);
    }
  }

  async stop(): Promise<void> {
    if (!this.#alive) return;
    const escalate = setTimeout(() => this.#child?.kill('SIGKILL'), STOP_GRACE_MS);
    try {
      await this.kill('SIGTERM');
    } finally {
      clearTimeout(escalate);
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    this.#log.note('--- [hubspoke helper] restart on the same ports ---');
    // The same ports are required: if one was taken meanwhile, wait a little for it rather than move.
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.start();
      } catch (err) {
        if (!(err instanceof PortInUseError) || attempt >= START_ATTEMPTS) throw err;
        await sleep(200 * attempt);
      }
    }
  }

  async reload(): Promise<void> {
    if (!this.#alive || this.#child === undefined) throw new Error(`nats-server ${this.name} is not running`);
    const mark = this.#log.mark;
    this.#child.kill('SIGHUP');
    const line = await this.#log.waitForLine(RELOAD_DONE, mark, 5000);
    if (/Failed to reload/.test(line)) throw new Error(`nats-server ${this.name}: ${line}`);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
    untrackTempDir(this.dir);
  }

  #render(): string {
    return renderConfig({
      name: this.name,
      ports: this.#ports,
      storeDir: this.storeDir,
      options: this.#options,
      extraConfig: this.#extraConfig,
    });
  }
}

function missingBinaryError(bin: string, cause: Error): Error {
  const notFound = (cause as NodeJS.ErrnoException).code === 'ENOENT';
  const hint = notFound
    ? `not found. Install it with \`apt-get install -y nats-server\` (or set NATS_SERVER_BIN to its path)`
    : `could not be started: ${cause.message}`;
  return new Error(`nats-server binary "${bin}" ${hint}`, { cause });
}
