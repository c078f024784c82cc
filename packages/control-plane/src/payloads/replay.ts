import { Buffer } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { ErrorCode, HubspokeError, appendEnvelopeFields, decodeEnvelope, type Limits } from '@hubspoke/sdk';
import type { HostedPlugin, PluginHost } from '@hubspoke/runtime';
import type { JetStreamClient } from '@nats-io/jetstream';
import type { Logger as Pino } from 'pino';
import type { ReplayFailure, ReplayProgress, ReplayRequest } from '../admin/types.js';
import { checkOrigin } from './decode.js';
import { checkTimes, edgeOfSubject, filterSubject, scan } from './inspect.js';
import { sourceOf } from './source-header.js';
import { offerPayload, PayloadRoutes, receiversOf, toEdgePayload } from './offer.js';
import { PAYLOAD_STREAM } from './streams.js';

/** What a replay needs of the control plane. */
export interface ReplayDeps {
  js: JetStreamClient;
  host: PluginHost;
  limits: Readonly<Limits>;
  log: Pino;
  /** How long one receiver may take to answer a replayed copy. */
  offerTimeoutMs: number;
}

/** How often progress is reported while a replay runs. */
const PROGRESS_EVERY_MS = 200;
const MAX_FAILURES_PER_MESSAGE = 100;

/**
 * Appends field 1 (id) to an encoded envelope: protobuf keeps the last value of a field given twice, so the copy
 * gets a new id without re-encoding the stored bytes.
 */
export function withNewId(encoded: Uint8Array, id: string): Uint8Array {
  const idBytes = Buffer.from(id, 'utf8');
  const len: number[] = [];
  for (let n = idBytes.length; ; n = Math.floor(n / 128)) {
    if (n < 0x80) {
      len.push(n);
      break;
    }
    len.push((n & 0x7f) | 0x80);
  }
  const out = Buffer.allocUnsafe(encoded.length + 1 + len.length + idBytes.length);
  out.set(encoded, 0);
  let pos = encoded.length;
  out[pos++] = 0x0a;
  for (const b of len) out[pos++] = b;
  out.set(idBytes, pos);
  return out;
}

/** The id of a payload's copy in replay run `replayId`. */
export const replayCopyId = (originalId: string, replayId: string): string => `${originalId}.replay.${replayId}`;

/**
 * The receivers a replay offers to: every one, in load order, or the one named.
 * @throws HubspokeError `HS_ERR_INVALID_ARGUMENT` naming a plugin that is not loaded or receives no payloads
 */
export function replayReceivers(host: PluginHost, plugin: string | undefined): HostedPlugin[] {
  const all = receiversOf(host);
  if (!plugin) return all;
  const named = host.list().find((h) => h.name === plugin);
  const names = all.map((h) => h.name).join(', ') || 'none';
  if (!named) {
    throw new HubspokeError(
      ErrorCode.InvalidArgument,
      `plugin ${JSON.stringify(plugin)} is not loaded on this control plane (receivers: ${names})`,
    );
  }
  if (!all.includes(named)) {
    throw new HubspokeError(
      ErrorCode.InvalidArgument,
      `plugin ${JSON.stringify(plugin)} is not an EdgePayloadReceiver (receivers: ${names})`,
    );
  }
  return [named];
}

/**
 * Offers the stored payloads a filter selects again, each as a copy with a new id that says it is a replay
 * (`replay: { of, at }`), once, in stream order. A copy that fails is counted and reported, not retried. Checks
 * the request before reading anything (a bad one throws); after that, problems end the run in its last progress
 * message. `report` is called now and then, and once with `done`.
 */
export async function replay(
  d: ReplayDeps,
  req: ReplayRequest,
  report: (p: ReplayProgress) => void,
  signal: AbortSignal,
): Promise<ReplayProgress> {
  checkTimes(req.filter);
  const subject = filterSubject('pay', req.filter);
  const dryRun = req.dryRun === true;
  const receivers = replayReceivers(d.host, req.plugin);
  if (!dryRun && receivers.length === 0) {
    throw new HubspokeError(
      ErrorCode.NotSupported,
      'this control plane loads no EdgePayloadReceiver: there is nobody to offer a replay to (a dry run works)',
    );
  }
  // Without --plugin, each copy goes to the receivers of its type, as live payloads do.
  const routes = req.plugin ? undefined : new PayloadRoutes(receivers);
  const replayId = randomBytes(6).toString('base64url');
  const p: ReplayProgress = {
    matched: 0,
    offered: 0,
    handled: 0,
    failed: 0,
    done: false,
    error: '',
    scanned: 0,
    total: 0,
    failures: [],
    replayId,
    dryRun,
  };
  const send = (): void => {
    report({ ...p, failures: p.failures });
    p.failures = [];
  };
  const failure = (f: ReplayFailure): void => {
    p.failed++;
    if (p.failures.length < MAX_FAILURES_PER_MESSAGE) p.failures.push(f);
  };
  const correlation = req.filter?.correlationId ?? '';
  const seen = new Set<string>();
  d.log.info({ replayId, filter: req.filter ?? {}, plugin: req.plugin || undefined, dryRun }, 'replay started');
  try {
    const s = await scan(d.js, {
      stream: PAYLOAD_STREAM,
      subject,
      sinceUnixMs: req.filter?.sinceUnixMs,
      untilUnixMs: req.filter?.untilUnixMs,
      signal,
    });
    p.total = s.total;
    send();
    let last = Date.now();
    for await (const m of s) {
      p.scanned++;
      let env;
      try {
        env = decodeEnvelope(m.data, { kind: 'payload', limits: d.limits });
      } catch {
        continue; // it was dead-lettered as malformed; nothing a receiver could take
      }
      const { ns, edge } = edgeOfSubject(m.subject);
      // Only what dispatch offers: a payload on an edge's subject that is not that edge's (its envelope names
      // another, or a compromised leaf sourced it onto this edge's subject) was dead-lettered, never offered.
      if (checkOrigin(env, ns, edge, sourceOf(m)) !== undefined) continue;
      if (env.topic || (correlation && env.correlationId !== correlation) || seen.has(env.id)) continue;
      seen.add(env.id);
      p.matched++;
      if (!dryRun) {
        const at = Date.now();
        const copy = decodeEnvelope(
          appendEnvelopeFields(withNewId(m.data, replayCopyId(env.id, replayId)), {
            replayOf: env.id,
            replayAtUnixMs: at,
          }),
          { kind: 'payload', limits: d.limits },
        );
        const payload = toEdgePayload(copy, ns, edge, m.info.timestampNanos, 1);
        const list = routes ? routes.for(copy.metadata['type']) : receivers;
        if (list.length === 0) {
          failure({
            payloadId: env.id,
            streamSeq: m.seq,
            plugin: '',
            reason: `no receiver here takes payloads of type ${JSON.stringify(copy.metadata['type'] ?? '')}`,
          });
          continue;
        }
        p.offered++;
        const outcome = await offerPayload(list, payload, copy, d.offerTimeoutMs);
        if (outcome.kind === 'handled') p.handled++;
        else if (outcome.kind === 'none') {
          failure({
            payloadId: env.id,
            streamSeq: m.seq,
            plugin: '',
            reason: 'no receiver handled it (every acceptEdgePayload returned false)',
          });
        } else failure({ payloadId: env.id, streamSeq: m.seq, plugin: outcome.plugin, reason: outcome.error });
      }
      if (Date.now() - last >= PROGRESS_EVERY_MS || p.failures.length >= MAX_FAILURES_PER_MESSAGE) {
        last = Date.now();
        send();
      }
    }
    if (signal.aborted)
      p.error = `${ErrorCode.Closed}: the replay was cancelled after ${p.scanned} of ${p.total} payloads`;
  } catch (err) {
    p.error = (err as Error).message;
    d.log.error({ replayId, err }, 'replay stopped');
  }
  p.done = true;
  d.log.info(
    {
      replayId,
      matched: p.matched,
      offered: p.offered,
      handled: p.handled,
      failed: p.failed,
      error: p.error || undefined,
    },
    'replay finished',
  );
  send();
  return { ...p };
}
