import { ErrorCode, HubspokeError } from '@hubspoke/sdk';
import { connect, nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import type { Logger as Pino } from 'pino';
import { readSeedFile } from '../auth/seed.js';

/** How a node reaches NATS. */
export interface ConnectOptions {
  servers: string | string[];
  /** Client name shown by the server. */
  name: string;
  /** Prefix of request inboxes (edges use `_INBOX.<ns>.<edge>` so that permissions can confine replies). */
  inboxPrefix?: string;
  /** Path of an nkey seed file (`hubspoke auth init` / `edge add` write them). @default none */
  credentials?: string;
  /** Give up on the first connection after this long. @default 30000 */
  timeoutMs?: number;
  /**
   * TLS to the server: `ca` (PEM file) verifies its certificate, whose name must match the URL's host; `cert` and
   * `key` present this node's certificate (mutual TLS). @default none (plain, unless the server requires TLS)
   */
  tls?: TlsFiles | undefined;
}

/** PEM files for TLS: the CA that signed the server's certificate; this side's certificate and key for mTLS. */
export interface TlsFiles {
  ca: string;
  cert?: string | undefined;
  key?: string | undefined;
}

/** The live state of a node's NATS connection. */
export interface ConnectionState {
  connected: boolean;
  reconnects: number;
  server: string;
}

/**
 * Connects, retrying until the deadline (a server that is still starting, or reloading, is retried), then
 * reconnects forever. Fails with `HS_ERR_NOT_CONNECTED` naming the servers when the deadline passes.
 */
export async function connectNats(opts: ConnectOptions, log: Pino): Promise<NatsConnection> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30000);
  const authenticator = opts.credentials
    ? nkeyAuthenticator(new TextEncoder().encode(readSeedFile(opts.credentials).seed))
    : undefined;
  let lastErr: unknown;
  for (let attempt = 1; Date.now() < deadline; attempt++) {
    try {
      return await connect({
        servers: opts.servers,
        name: opts.name,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 250,
        reconnectJitter: 100,
        pingInterval: 10000,
        timeout: Math.max(500, Math.min(5000, deadline - Date.now())),
        ...(opts.inboxPrefix ? { inboxPrefix: opts.inboxPrefix } : {}),
        ...(authenticator ? { authenticator } : {}),
        ...(opts.tls
          ? {
              tls: {
                caFile: opts.tls.ca,
                ...(opts.tls.cert ? { certFile: opts.tls.cert } : {}),
                ...(opts.tls.key ? { keyFile: opts.tls.key } : {}),
              },
            }
          : {}),
      });
    } catch (err) {
      lastErr = err;
      if (attempt === 1 || attempt % 10 === 0) {
        log.warn({ servers: opts.servers, attempt, err: String(err) }, 'cannot reach NATS yet; retrying');
      }
      if (/Authorization|Authentication|certificate|self.signed|ENOENT|TLS/i.test(String(err))) break;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw new HubspokeError(
    ErrorCode.NotConnected,
    `cannot connect to NATS at ${[opts.servers].flat().join(', ')}: ${String(lastErr)}`,
    { cause: lastErr },
  );
}

/**
 * Follows the connection's status: logs disconnects and reconnects, and after each reconnect flushes so that
 * the server has every subscription again before `onReconnect` runs.
 */
export function watchConnection(nc: NatsConnection, log: Pino, onReconnect?: () => void): ConnectionState {
  const state: ConnectionState = { connected: true, reconnects: 0, server: nc.getServer() };
  void (async () => {
    for await (const s of nc.status()) {
      switch (s.type) {
        case 'disconnect':
          state.connected = false;
          log.warn({ server: s.server }, 'disconnected from NATS; reconnecting');
          break;
        case 'reconnect':
          state.reconnects++;
          state.server = s.server;
          try {
            await nc.flush();
            state.connected = true;
            log.info({ server: s.server, reconnects: state.reconnects }, 'reconnected to NATS');
            onReconnect?.();
          } catch (err) {
            log.warn({ err: String(err) }, 'flush after reconnect failed');
          }
          break;
        case 'error':
          log.error({ err: String(s.error) }, 'NATS error');
          break;
        default:
          break;
      }
    }
  })();
  return state;
}
