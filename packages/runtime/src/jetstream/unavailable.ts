import { ErrorCode, HubspokeError, isHubspokeError } from '@hubspoke/sdk';
import { Backoff } from '../retry/backoff.js';

/**
 * What nats.js and nats-server answer when a stream or bucket has nobody to serve it: no JetStream at all, a
 * stream whose leader is gone (an R1 stream on a dead node, or a new election under way: no responders, which
 * nats.js reports as "jetstream is not enabled"), a timeout, or the cluster's own "temporarily unavailable".
 */
const UNAVAILABLE =
  /jetstream is not enabled|jetstream not enabled|no responders|temporarily unavailable|timeout|timed out|stream is offline|no suitable peers|insufficient resources|no leader/i;

/** True when `err` says that JetStream (or one stream of it) cannot answer now. */
export function isJetStreamUnavailable(err: unknown): boolean {
  if (isHubspokeError(err, ErrorCode.JetStreamUnavailable)) return true;
  if (isHubspokeError(err)) return false;
  const e = err as { name?: unknown; message?: unknown; code?: unknown } | undefined;
  if (e?.name === 'TimeoutError' || e?.name === 'JetStreamNotEnabled' || e?.name === 'NoRespondersError') return true;
  if (e?.code === 503 || e?.code === '503') return true;
  return UNAVAILABLE.test(String(e?.message ?? err));
}

/** `HS_ERR_JETSTREAM_UNAVAILABLE` naming what could not be reached and the server's answer. */
export function jetStreamUnavailable(what: string, cause: unknown): HubspokeError {
  const msg = String((cause as Error)?.message ?? cause);
  return new HubspokeError(
    ErrorCode.JetStreamUnavailable,
    `${what} is unavailable: ${msg} (is JetStream enabled, and are enough nodes of the hub up for its replicas?)`,
    { cause },
  );
}

/**
 * Runs a JetStream call; while it fails because the stream cannot answer (a cluster electing a new leader
 * takes a few seconds), tries again with backoff for up to `retryForMs`, then rejects with
 * `HS_ERR_JETSTREAM_UNAVAILABLE` naming `what`. Other errors pass through unchanged.
 */
export async function withJetStream<T>(what: string, fn: () => Promise<T>, retryForMs = 0): Promise<T> {
  const deadline = Date.now() + retryForMs;
  const backoff = new Backoff({ initialMs: 100, maxMs: 1000 });
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!isJetStreamUnavailable(err)) throw err;
      if (Date.now() + backoff.peek() > deadline) {
        throw isHubspokeError(err) ? err : jetStreamUnavailable(what, err);
      }
      await backoff.wait();
    }
  }
}
