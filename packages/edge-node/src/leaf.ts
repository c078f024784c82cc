import { accessSync, constants, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ErrorCode, HubspokeError, isName } from '@hubspoke/sdk';
import {
  findNatsServer,
  leafPassword,
  leafUserName,
  natsServerMissing,
  readSeedFile,
  startNatsServerProcess,
  type NatsServerProcess,
} from '@hubspoke/runtime';
import type { Logger as Pino } from 'pino';

const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5_000;
/** A leaf that stayed up this long before it exited is restarted after 250 ms again (else the wait doubles). */
const STABLE_MS = 10_000;
const LEAF_SCHEMES = new Set(['nats-leaf:', 'tls:', 'ws:', 'wss:']);
/** Store folders of the managed leaves running in this process: two nats-servers must never share one. */
const storesInUse = new Set<string>();

/** Options of {@link startManagedLeaf}. */
export interface ManagedLeafOptions {
  /** The edge this leaf serves: names the server (`leaf-<edgeId>`) and its JetStream domain (`edge-<edgeId>`). */
  edgeId: string;
  /** The hub's leafnode port(s): `nats-leaf://host:port` (also `tls://`, `ws://`, `wss://`). */
  hubUrl: string | string[];
  /**
   * The leaf's own folder: JetStream data under `<storeDir>/jetstream`, and `leaf.conf`, `leaf.log`, `leaf.pid`.
   * Keep it across restarts: it holds what the edge sent while the hub was away.
   */
  storeDir: string;
  /**
   * How the leaf authenticates to the hub: the edge's nkey seed file (`hubspoke edge add` issues it), or a NATS creds
   * file (user JWT + seed, for hubs in operator mode). nats-server 2.9 leaf remotes cannot sign with a bare nkey, so
   * from a seed the leaf dials as user `leaf-<edgeId>` with a password derived from the seed, which
   * `hubspoke edge add` put in the hub's auth.conf. @default none
   */
  credentials?: string;
  /**
   * TLS for the leaf's link to the hub: `ca` verifies the hub's certificate (its name must match the URL's host);
   * `cert` and `key` present the leaf's own, for a hub that verifies leaves (mutual TLS). @default none
   */
  tls?: { ca: string; cert?: string | undefined; key?: string | undefined };
  /** The nats-server binary. @default NATS_SERVER_BIN, else nats-server on PATH */
  bin?: string;
  /** Where the leaf's start, exits and restarts are logged. */
  log: Pino;
  /** How long to wait for "Server is ready" at each start. @default 10000 */
  readyTimeoutMs?: number;
}

/** A nats-server leaf node run and supervised by this process. */
export interface ManagedLeaf {
  /** `nats://127.0.0.1:<port>`: where the edge node connects. The port stays the same across restarts. */
  readonly url: string;
  /** Its JetStream domain, `edge-<edgeId>`. */
  readonly domain: string;
  /** The current nats-server's pid; undefined while it is being restarted or after close(). */
  readonly pid: number | undefined;
  /** How many times it was restarted after an unexpected exit. */
  readonly restarts: number;
  /** The file its output is appended to. */
  readonly logFile: string;
  /** The last lines the current (or last) nats-server wrote. */
  output(): string;
  /** Whether its link to the hub is up, as its log says (the last leafnode connection created was not closed). */
  hubLinked(): boolean;
  /** Stops it for good (SIGTERM, SIGKILL after 5 s); resolves once it has exited. Idempotent. */
  close(): Promise<void>;
}

function configInvalid(message: string, cause?: unknown): HubspokeError {
  return new HubspokeError(ErrorCode.ConfigInvalid, `managed leaf node: ${message}`, { cause });
}

/** `nats-leaf://user:secret@host` → `nats-leaf://user:***@host`, for logs. */
function redact(url: string): string {
  return url.replace(/^([a-z-]+:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}

function checkHubUrls(hubUrl: string | string[]): string[] {
  const urls = typeof hubUrl === 'string' ? [hubUrl] : [...hubUrl];
  if (urls.length === 0) throw configInvalid('hubUrl: give at least one nats-leaf:// URL of the hub');
  for (const u of urls) {
    let parsed: URL;
    try {
      parsed = new URL(u);
    } catch (err) {
      throw configInvalid(`hubUrl: ${JSON.stringify(redact(u))} is not a URL (want nats-leaf://host:port)`, err);
    }
    if (!LEAF_SCHEMES.has(parsed.protocol) || !parsed.hostname || /["\\\s]/.test(u)) {
      throw configInvalid(
        `hubUrl: ${JSON.stringify(redact(u))} is not a leafnode URL ` +
          "(want nats-leaf://host:port, or tls://, ws://, wss://, pointing at the hub's leafnodes port)",
      );
    }
  }
  return urls;
}

/** What goes into the remote: a creds file, or user:password in each URL (derived from an nkey seed). */
type LeafAuth = { kind: 'creds'; path: string } | { kind: 'password'; user: string; password: string };

function checkCredentials(path: string, edgeId: string): LeafAuth {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw configInvalid(`credentials: cannot read ${path}: ${(err as Error).message}`, err);
  }
  if (/-----BEGIN NATS USER JWT-----/.test(text) && /-----BEGIN USER NKEY SEED-----/.test(text)) {
    return { kind: 'creds', path: resolve(path) };
  }
  let seed: string;
  try {
    seed = readSeedFile(path).seed;
  } catch (err) {
    throw configInvalid(
      `credentials: ${path} is neither an nkey seed file (hubspoke edge add) nor a NATS creds file (user JWT + seed)`,
      err,
    );
  }
  return { kind: 'password', user: leafUserName(edgeId), password: leafPassword(seed, edgeId) };
}

/** `nats-leaf://host:port` with the leaf user's name and password in it (nats-server 2.9 sends them at CONNECT). */
function withUser(url: string, auth: LeafAuth | undefined): string {
  if (auth?.kind !== 'password') return url;
  const u = new URL(url);
  u.username = auth.user;
  u.password = auth.password;
  return u.toString().replace(/\/$/, '');
}

function checkTls(tls: NonNullable<ManagedLeafOptions['tls']>): NonNullable<ManagedLeafOptions['tls']> {
  if ((tls.cert === undefined) !== (tls.key === undefined)) throw configInvalid('tls: cert and key go together');
  const out: NonNullable<ManagedLeafOptions['tls']> = { ca: '' };
  for (const k of ['ca', 'cert', 'key'] as const) {
    const path = tls[k];
    if (path === undefined) continue;
    try {
      accessSync(path, constants.R_OK);
    } catch (err) {
      throw configInvalid(`tls.${k}: cannot read ${path}: ${(err as Error).message}`, err);
    }
    out[k] = resolve(path);
  }
  return out;
}

function checkStoreDir(storeDir: string): void {
  try {
    mkdirSync(join(storeDir, 'jetstream'), { recursive: true });
    accessSync(storeDir, constants.W_OK);
    accessSync(join(storeDir, 'jetstream'), constants.W_OK);
  } catch (err) {
    throw configInvalid(`storeDir ${storeDir} is not a writable folder: ${(err as Error).message}`, err);
  }
}

/** One item per line: nats-server 2.9 wants commas between items of a one-line map. */
function leafConfig(
  edgeId: string,
  port: number,
  storeDir: string,
  urls: string[],
  auth?: LeafAuth,
  tls?: ManagedLeafOptions['tls'],
): string {
  return [
    `server_name: ${JSON.stringify(`leaf-${edgeId}`)}`,
    `listen: 127.0.0.1:${port}`,
    'jetstream {',
    `  store_dir: ${JSON.stringify(join(storeDir, 'jetstream'))}`,
    `  domain: ${JSON.stringify(`edge-${edgeId}`)}`,
    '}',
    'leafnodes {',
    '  reconnect: 1',
    '  remotes [',
    '    {',
    `      urls: [${urls.map((u) => JSON.stringify(withUser(u, auth))).join(', ')}]`,
    ...(auth?.kind === 'creds' ? [`      credentials: ${JSON.stringify(auth.path)}`] : []),
    ...(tls === undefined
      ? []
      : [
          '      tls {',
          `        ca_file: ${JSON.stringify(tls.ca)}`,
          ...(tls.cert === undefined ? [] : [`        cert_file: ${JSON.stringify(tls.cert)}`]),
          ...(tls.key === undefined ? [] : [`        key_file: ${JSON.stringify(tls.key)}`]),
          '      }',
        ]),
    '    }',
    '  ]',
    '}',
    '',
  ].join('\n');
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * A leaf this store folder's previous owner left running (that process was killed before it could stop it):
 * stop it, so that two nats-servers never write one JetStream store. Only a process whose command line names
 * our config file is touched (read from /proc; elsewhere the check is skipped).
 */
async function stopOrphan(pidFile: string, configFile: string, log: Pino): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return;
  }
  if (!cmdline.split('\0').includes(configFile)) return;
  log.warn({ leafPid: pid }, 'managed leaf node: stopping the leaf a previous run left behind on this store');
  process.kill(pid, 'SIGTERM');
  for (let waited = 0; isAlive(pid); waited += 50) {
    if (waited === 5_000) process.kill(pid, 'SIGKILL');
    if (waited > 10_000) throw configInvalid(`storeDir is still used by nats-server pid ${pid}, which does not stop`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * Starts a nats-server leaf node for an edge, on a free loopback port, with its own JetStream (domain
 * `edge-<edgeId>`, data in `storeDir`), dialing the hub's leafnode port every second until it answers. It starts,
 * and its JetStream works, while the hub is unreachable: that is its point. If it exits unexpectedly it is
 * restarted on the same port and store, after 250 ms doubling to 5 s between failed attempts; `close()` stops it
 * for good.
 *
 * Fails with `HS_ERR_CONFIG_INVALID` (bad edgeId or hubUrl, storeDir not writable or already used by a running
 * leaf of this process, unreadable credentials or neither a seed nor a creds file),
 * `HS_ERR_NATS_SERVER_MISSING` (no binary), `HS_ERR_INTERNAL` (nats-server refused to start; its output is in
 * the message).
 */
export async function startManagedLeaf(opts: ManagedLeafOptions): Promise<ManagedLeaf> {
  const { edgeId, log } = opts;
  if (typeof edgeId !== 'string' || !isName(edgeId)) {
    throw configInvalid(
      `edgeId ${JSON.stringify(edgeId)} must be 1-64 characters of [A-Za-z0-9_-], not starting with "_"`,
    );
  }
  const urls = checkHubUrls(opts.hubUrl);
  const auth = opts.credentials === undefined ? undefined : checkCredentials(opts.credentials, edgeId);
  const tls = opts.tls === undefined ? undefined : checkTls(opts.tls);
  const purpose = `the managed leaf node of edge ${edgeId}`;
  let bin: string;
  if (opts.bin === undefined) bin = findNatsServer(process.env, purpose);
  else {
    try {
      accessSync(opts.bin, constants.X_OK);
    } catch {
      throw natsServerMissing(`${opts.bin} is not an executable file.`, purpose);
    }
    bin = opts.bin;
  }
  const storeDir = resolve(opts.storeDir);
  checkStoreDir(storeDir);
  if (storesInUse.has(storeDir)) throw configInvalid(`storeDir ${storeDir} is already used by a running managed leaf`);
  storesInUse.add(storeDir);

  const domain = `edge-${edgeId}`;
  const logFile = join(storeDir, 'leaf.log');
  const pidFile = join(storeDir, 'leaf.pid');
  const configFile = join(storeDir, 'leaf.conf');
  const start = (portNumbers?: readonly number[]): Promise<NatsServerProcess> =>
    startNatsServerProcess({
      bin,
      dir: storeDir,
      name: 'leaf',
      ...(portNumbers === undefined ? { ports: 1 } : { portNumbers }),
      config: ([port]) => leafConfig(edgeId, port as number, storeDir, urls, auth, tls),
      logFile,
      // Its own process group: a Ctrl-C in the terminal reaches the edge node, which closes the leaf last.
      detached: true,
      ...(opts.readyTimeoutMs === undefined ? {} : { readyTimeoutMs: opts.readyTimeoutMs }),
    });

  let current: NatsServerProcess | undefined;
  let last: NatsServerProcess;
  try {
    await stopOrphan(pidFile, configFile, log);
    last = await start();
  } catch (err) {
    storesInUse.delete(storeDir);
    if (err instanceof HubspokeError && err.code !== ErrorCode.Internal) throw err;
    throw new HubspokeError(ErrorCode.Internal, `${purpose} did not start: ${(err as Error).message}`, { cause: err });
  }
  const port = last.ports[0] as number;
  const url = `nats://127.0.0.1:${port}`;
  const killOnExit = (): void => current?.killNow();
  process.on('exit', killOnExit);

  let restarts = 0;
  let closed = false;
  let closing: Promise<void> | undefined;
  let restarting: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let backoffMs = FIRST_BACKOFF_MS;

  const sleep = (ms: number): Promise<void> =>
    new Promise((done) => {
      const timer = setTimeout(done, ms);
      wake = () => {
        clearTimeout(timer);
        done();
      };
    });

  const restart = async (): Promise<void> => {
    while (!closed) {
      const delayMs = backoffMs;
      backoffMs = Math.min(backoffMs * 2, MAX_BACKOFF_MS);
      await sleep(delayMs);
      if (closed) return;
      try {
        const next = await start([port]);
        if (closed) {
          await next.stop();
          return;
        }
        restarts++;
        adopt(next);
        log.warn({ edgeId, leafPid: next.pid, url, restarts }, 'managed leaf node restarted');
        return;
      } catch (err) {
        log.warn({ edgeId, url, err, retryInMs: backoffMs }, 'managed leaf node did not restart; trying again');
      }
    }
  };

  function adopt(proc: NatsServerProcess): void {
    current = last = proc;
    const startedAt = Date.now();
    try {
      writeFileSync(pidFile, `${proc.pid}\n`);
    } catch (err) {
      log.warn({ err, pidFile }, 'managed leaf node: cannot write its pid file');
    }
    void proc.exited.then(({ code, signal }) => {
      if (current !== proc) return;
      current = undefined;
      if (closed) return;
      if (Date.now() - startedAt >= STABLE_MS) backoffMs = FIRST_BACKOFF_MS;
      const lastLines = proc.output().split('\n').slice(-5).join('\n');
      log.warn(
        { edgeId, leafPid: proc.pid, code, signal, restarts, restartInMs: backoffMs, lastLines },
        'managed leaf node exited unexpectedly; restarting it on the same port and store',
      );
      restarting = restart().finally(() => {
        restarting = undefined;
      });
    });
  }

  adopt(last);
  log.info(
    { edgeId, leafPid: last.pid, url, domain, hub: urls.map(redact), storeDir, logFile },
    'managed leaf node started',
  );

  return {
    url,
    domain,
    logFile,
    hubLinked() {
      let text = '';
      try {
        text = readFileSync(logFile, 'utf8').slice(-256 * 1024);
      } catch {
        return false;
      }
      return text.lastIndexOf('Leafnode connection created') > text.lastIndexOf('Leafnode connection closed');
    },
    get pid() {
      return current?.pid;
    },
    get restarts() {
      return restarts;
    },
    output: () => last.output(),
    close() {
      closing ??= (async () => {
        closed = true;
        wake?.();
        await restarting;
        const proc = current;
        await proc?.stop();
        current = undefined;
        process.off('exit', killOnExit);
        rmSync(pidFile, { force: true });
        storesInUse.delete(storeDir);
        log.info({ edgeId, leafPid: proc?.pid, restarts }, 'managed leaf node stopped');
      })();
      return closing;
    },
  };
}
