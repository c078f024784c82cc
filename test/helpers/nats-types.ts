/** Options of `startNatsServer`. Every port is chosen free on 127.0.0.1; none is ever fixed by the caller. */
export interface NatsServerOptions {
  /** Enable JetStream (store in `storeDir`). @default true */
  jetstream?: boolean;
  /** JetStream domain (`jetstream { domain }`). @default none */
  domain?: string;
  /** `server_name`; must be unique within a cluster or a leaf topology. @default 'hs-' + the temp folder's suffix */
  name?: string;
  /** Open a leafnode accept port; its URL is `leafUrl`. @default false */
  leafListen?: boolean;
  /**
   * `nats-leaf://` URLs of the hub this server dials as a leaf node (one remote; several URLs are the nodes of
   * one hub cluster), retried every second. @default none
   */
  leafRemotes?: string[];
  /**
   * Join a cluster: its own route port plus routes to the others. `port` fixes the route port, which only
   * `startCluster` needs (the routes of each node must be known before any starts). @default none
   */
  cluster?: { name: string; routes: string[]; port?: number };
  /** Open the HTTP monitoring port (`/varz`, `/jsz`, ...); its URL is `monitorUrl`. @default false */
  monitor?: boolean;
  /**
   * Raw text appended to the config file: an `authorization` block, `accounts`, an `include` (nats-server joins
   * include paths onto the config's folder even when absolute: write the file into `server.dir`, include it by
   * its bare name). @default ''
   */
  extraConfig?: string;
  /** Raw text inside the `leafnodes {}` block (a `tls {}` block, say). @default '' */
  leafnodesExtra?: string;
  /** `max_payload` in bytes. @default the server's (1 MiB) */
  maxPayload?: number;
  /**
   * JetStream store folder. Kept on dispose when given; removed with the server's temp folder when defaulted.
   * @default the server's temp folder
   */
  storeDir?: string;
  /** How long to wait for "Server is ready". @default 10000 */
  readyTimeoutMs?: number;
  /** The nats-server binary. @default process.env.NATS_SERVER_BIN, else `nats-server` on PATH */
  bin?: string;
}

/** A running (or stopped, restartable) nats-server. `await using` stops it and removes its temp folder. */
export interface NatsServer extends AsyncDisposable {
  /** `server_name`. */
  readonly name: string;
  /** `nats://127.0.0.1:PORT`. */
  readonly url: string;
  /** The client port. */
  readonly port: number;
  /** `nats-leaf://127.0.0.1:PORT` when `leafListen` was set. */
  readonly leafUrl: string | undefined;
  /** `nats-route://127.0.0.1:PORT` when `cluster` was set. */
  readonly clusterUrl: string | undefined;
  /** `http://127.0.0.1:PORT` when `monitor` was set. */
  readonly monitorUrl: string | undefined;
  /** The process id while running. */
  readonly pid: number | undefined;
  /** JetStream store folder (nats-server writes into `<storeDir>/jetstream`). Empty on the Docker path. */
  readonly storeDir: string;
  /** The server's own temp folder (config file, default store). Empty on the Docker path. */
  readonly dir: string;
  /** The config file passed with `-c`. Empty on the Docker path. */
  readonly configPath: string;
  /** True while the process is alive (from spawn until exit). */
  readonly running: boolean;
  /** The last log lines (bounded), across restarts. */
  logs(): string;
  /** Resolves with the first log line (retained or future) matching `pattern`. @default timeoutMs 5000 */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends `signal` and resolves when the process has exited. @default signal 'SIGKILL' */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM, then SIGKILL after 5 s; resolves when the process has exited. No-op when not running. */
  stop(): Promise<void>;
  /** Stops if running, then starts again on the same ports and store; resolves when ready. */
  restart(): Promise<void>;
  /** SIGHUP; resolves when the server logged a successful reload, rejects with its error line otherwise. */
  reload(): Promise<void>;
  /** Replaces `extraConfig` and rewrites the config file; takes effect on `reload()` or `restart()`. */
  writeConfig(extraConfig: string): Promise<void>;
}
