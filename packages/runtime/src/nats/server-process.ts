import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, chmodSync, constants, createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { delimiter, join } from 'node:path';
import { ErrorCode, HubspokeError } from '@hubspoke/sdk';

const READY = /Server is ready/;
const PORT_TAKEN = /address already in use/i;
const READY_TIMEOUT_MS = 10_000;
const STOP_GRACE_MS = 5_000;
const START_ATTEMPTS = 3;
const KEPT_LINES = 200;

/** How a nats-server child process ended: its exit code, or the signal that killed it. */
export interface NatsServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Which ports a nats-server gets: `ports` free loopback ports, or exactly `portNumbers` (a restart). */
export type NatsServerPortChoice =
  | { /** How many free loopback ports to pick. */ ports: number; portNumbers?: never }
  | { /** These ports, as they are (no retry when one is taken). */ portNumbers: readonly number[]; ports?: never };

/** Options of {@link startNatsServerProcess}. */
export type NatsServerProcessOptions = NatsServerPortChoice & {
  /** The nats-server binary. @default findNatsServer(process.env) */
  bin?: string;
  /** Folder of the config file `<name>.conf`; created when missing. */
  dir: string;
  /** Names the config file and the process in error messages. */
  name: string;
  /** The config file's text for these ports (never 0: nats-server reads port 0 as its default, 4222). */
  config: (ports: number[]) => string;
  /** Appends the server's stdout and stderr to this file. @default none */
  logFile?: string;
  /** Runs the server in its own process group: a Ctrl-C in the terminal does not reach it. @default false */
  detached?: boolean;
  /** How long to wait for "Server is ready". @default 10000 */
  readyTimeoutMs?: number;
};

/** A running nats-server child process. */
export interface NatsServerProcess {
  readonly pid: number;
  /** The ports its config was rendered with, in order. */
  readonly ports: readonly number[];
  /** The config file passed with `-c`. */
  readonly configFile: string;
  /** SIGTERM, then SIGKILL after 5 s; resolves once the process has exited. */
  stop(): Promise<void>;
  /** SIGKILL now, synchronously (for a process 'exit' handler). */
  killNow(): void;
  /** Resolves when the process has exited, for whatever reason. */
  readonly exited: Promise<NatsServerExit>;
  /** The last lines it wrote to stderr (at most 200). */
  output(): string;
}

/**
 * Raised when nats-server does not get ready: it exited at start (a bad config, a taken port) or stalled.
 * The message carries its last output lines.
 */
export class NatsServerStartError extends HubspokeError {
  /** True when it exited because a port was taken. */
  readonly portInUse: boolean;
  /** Its output until then. */
  readonly output: string;

  constructor(message: string, output: string, options?: { cause?: unknown }) {
    super(ErrorCode.Internal, message, options);
    this.name = 'NatsServerStartError';
    this.output = output;
    this.portInUse = PORT_TAKEN.test(output);
  }
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Finds nats-server: `NATS_SERVER_BIN` when set, else on PATH. Throws `HS_ERR_NATS_SERVER_MISSING` with
 * install hints otherwise; `purpose` starts its message (`hubspoke dev needs a nats-server binary.`).
 */
export function findNatsServer(env: Readonly<Record<string, string | undefined>>, purpose = 'hubspoke dev'): string {
  const explicit = env['NATS_SERVER_BIN'];
  if (explicit) {
    if (executable(explicit)) return explicit;
    throw natsServerMissing(`NATS_SERVER_BIN=${explicit} is not an executable file.`, purpose);
  }
  for (const dir of (env['PATH'] ?? '').split(delimiter)) {
    const candidate = join(dir || '.', 'nats-server');
    if (executable(candidate)) return candidate;
  }
  throw natsServerMissing('nats-server is not on PATH.', purpose);
}

/** The `HS_ERR_NATS_SERVER_MISSING` error, with how to install nats-server. */
export function natsServerMissing(why: string, purpose = 'hubspoke dev'): HubspokeError {
  return new HubspokeError(
    ErrorCode.NatsServerMissing,
    `${purpose} needs a nats-server binary. ${why}\n` +
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
  if (ports.some((p) => p <= 0)) throw new HubspokeError(ErrorCode.Internal, 'freePorts: got no port number');
  return ports;
}

function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** Keeps the last {@link KEPT_LINES} lines of a stream; calls `onLine` for each complete one. */
class Lines {
  readonly #lines: string[] = [];
  #partial = '';

  constructor(private readonly onLine: (line: string) => void) {}

  write(chunk: string): void {
    const parts = (this.#partial + chunk).split('\n');
    this.#partial = parts.pop() ?? '';
    for (const line of parts) this.#push(line);
  }

  end(): void {
    if (this.#partial) this.#push(this.#partial);
    this.#partial = '';
  }

  text(): string {
    return [...this.#lines, ...(this.#partial ? [this.#partial] : [])].join('\n');
  }

  #push(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length > KEPT_LINES) this.#lines.shift();
    this.onLine(line);
  }
}

async function attempt(
  bin: string,
  opts: NatsServerProcessOptions,
  ports: number[],
  configFile: string,
): Promise<NatsServerProcess> {
  // Private: a leaf's config holds the password of its hub user.
  writeFileSync(configFile, opts.config(ports), { mode: 0o600 });
  chmodSync(configFile, 0o600);
  const child = spawn(bin, ['-c', configFile], {
    detached: opts.detached ?? false,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = opts.logFile === undefined ? undefined : createWriteStream(opts.logFile, { flags: 'a' });
  log?.on('error', () => undefined); // a log that cannot be written must not take the server down
  let onReadyLine: (() => void) | undefined;
  const lines = new Lines((line) => {
    if (READY.test(line)) onReadyLine?.();
  });
  if (log) child.stdout?.pipe(log, { end: false });
  else child.stdout?.resume();
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    lines.write(chunk);
    log?.write(chunk);
  });
  let spawnError: Error | undefined;
  const exited = new Promise<NatsServerExit>((resolve) => {
    child.once('error', (err) => {
      // Spawning failed (no such binary, not executable): there will be no 'exit'.
      spawnError = err;
      if (child.pid === undefined) resolve({ code: null, signal: null });
    });
    // 'close' comes after 'exit' once stdout and stderr are drained: the last log lines are in by then, and the
    // log file is flushed before anyone waiting on the exit goes on.
    child.once('close', (code, signal) => {
      lines.end();
      if (log) log.end(() => resolve({ code, signal }));
      else resolve({ code, signal });
    });
  });
  const killNow = (): void => {
    if (child.pid !== undefined && !hasExited(child)) child.kill('SIGKILL');
  };
  const waitExit = (ms: number): Promise<boolean> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      void exited.then(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });

  const timeoutMs = opts.readyTimeoutMs ?? READY_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    new Promise<'ready'>((resolve) => {
      onReadyLine = () => resolve('ready');
    }),
    exited.then(() => 'exited' as const),
    new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  onReadyLine = undefined;
  if (outcome !== 'ready') {
    killNow();
    await waitExit(STOP_GRACE_MS);
    if (spawnError !== undefined) {
      const code = (spawnError as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EACCES') throw natsServerMissing(`${bin}: ${spawnError.message}.`, opts.name);
      throw new NatsServerStartError(`${opts.name}: cannot run ${bin}: ${spawnError.message}`, '', {
        cause: spawnError,
      });
    }
    const what = outcome === 'timeout' ? `not ready within ${timeoutMs} ms` : 'exited at start';
    const out = lines.text().trim();
    throw new NatsServerStartError(`${opts.name}: nats-server ${what} (config ${configFile}):\n${out}`, out);
  }
  return {
    pid: child.pid as number,
    ports,
    configFile,
    exited,
    killNow,
    output: () => lines.text(),
    async stop() {
      if (hasExited(child)) return;
      child.kill('SIGTERM');
      if (!(await waitExit(STOP_GRACE_MS))) {
        killNow();
        await exited;
      }
    },
  };
}

/**
 * Starts nats-server with the config `opts.config(ports)` written to `<dir>/<name>.conf`, and resolves once it
 * logged "Server is ready". When the ports were picked here (`ports: n`), a port taken between finding it and
 * binding it is retried with new ports (3 attempts in all). Fails with `HS_ERR_NATS_SERVER_MISSING` when the
 * binary cannot be found or run, and with a {@link NatsServerStartError} (`HS_ERR_INTERNAL`, carrying the
 * server's output) when it exits at start or stalls.
 */
export async function startNatsServerProcess(opts: NatsServerProcessOptions): Promise<NatsServerProcess> {
  const bin = opts.bin ?? findNatsServer(process.env, opts.name);
  mkdirSync(opts.dir, { recursive: true });
  const configFile = join(opts.dir, `${opts.name}.conf`);
  const fixed = opts.portNumbers !== undefined;
  for (let i = 1; ; i++) {
    const ports = opts.portNumbers !== undefined ? [...opts.portNumbers] : await freePorts(opts.ports);
    if (ports.some((p) => !Number.isInteger(p) || p <= 0 || p > 65535)) {
      throw new HubspokeError(ErrorCode.InvalidArgument, `${opts.name}: bad port numbers ${ports.join(', ')}`);
    }
    try {
      return await attempt(bin, opts, ports, configFile);
    } catch (err) {
      if (fixed || i >= START_ATTEMPTS || !(err instanceof NatsServerStartError && err.portInUse)) throw err;
    }
  }
}
