import { ErrorCode, HubspokeError } from '@hubspoke/sdk';
import {
  jetstream,
  jetstreamManager,
  type JetStreamManager,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import type { Logger as Pino } from 'pino';
import { z } from 'zod';
import { isJetStreamUnavailable, jetStreamUnavailable } from './unavailable.js';
import { Backoff } from '../retry/backoff.js';

/**
 * How long opening a stream, bucket or watch waits through a cluster that lost a node before failing: the meta
 * leader's election (~6.5 s here), and nats-server 2.9 placing an ephemeral consumer on the dead node (that
 * request times out after 5 s and is tried again). 20 s was exceeded on a loaded 2-core machine.
 */
export const OPEN_RETRY_MS = 60_000;

/**
 * No JetStream at all: nobody answers the JetStream API (on a cluster every node answers it, even while a leader
 * is being elected). That does not heal by waiting.
 */
const noJetStream = (err: unknown): boolean =>
  (err as Error)?.name === 'JetStreamNotEnabled' || /jetstream (is )?not enabled/i.test(String(err));

/** Runs `fn` again while JetStream cannot answer, up to OPEN_RETRY_MS; then throws the last error. */
async function retrying<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + OPEN_RETRY_MS;
  const backoff = new Backoff({ initialMs: 200, maxMs: 2000 });
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!isJetStreamUnavailable(err) || noJetStream(err) || Date.now() + backoff.peek() > deadline) throw err;
      await backoff.wait();
    }
  }
}

/** Replicas of what the control plane keeps in JetStream: 1, or 3 or 5 on a clustered hub. */
export const replicasSchema = z.union([z.literal(1), z.literal(3), z.literal(5)], {
  error: 'must be 1, 3 or 5 (an odd count: a clustered hub keeps a majority)',
});

/** A stream as a runtime wants it: every field it cares about, and its replicas. */
export type StreamSpec = Partial<StreamConfig> & { name: string; num_replicas: number };

const NOT_CLUSTERED = /replicas > 1 not supported in non-clustered mode/i;

function failure(what: string, replicas: number, err: unknown): HubspokeError {
  if (NOT_CLUSTERED.test(String((err as Error)?.message ?? err))) {
    return new HubspokeError(
      ErrorCode.ConfigInvalid,
      `jetstream.replicas: ${what} cannot have ${replicas} replicas: the hub is a single server, not a JetStream cluster`,
      { cause: err },
    );
  }
  return jetStreamUnavailable(what, err);
}

/** The replicas to keep: never fewer than a stream already has (nats-server 2.9 would lower them silently). */
function keptReplicas(log: Pino, what: string, have: number, want: number): number {
  if (have > want) log.info({ what, replicas: have, configured: want }, 'keeping the higher replicas it already has');
  else if (have < want) log.info({ what, from: have, replicas: want }, 'raising the replicas');
  return Math.max(have, want);
}

/**
 * Creates a stream, or updates an existing one to `spec` (only when something differs: an update rewrites the
 * stream's `created` time on 2.9.10), never lowering its replicas. Resolves to the stream's info.
 * @throws HubspokeError `HS_ERR_JETSTREAM_UNAVAILABLE`, or `HS_ERR_CONFIG_INVALID` for replicas on a single server
 */
export async function ensureStream(
  jsm: JetStreamManager,
  spec: StreamSpec,
  log: Pino,
  /** Fields set only when this call creates the stream (a store id in its description): never updated. */
  onCreate: Partial<StreamConfig> = {},
): Promise<StreamInfo> {
  const what = `stream ${spec.name}`;
  try {
    return await retrying(() => ensureOnce(jsm, spec, log, what, onCreate));
  } catch (err) {
    throw failure(what, spec.num_replicas, err);
  }
}

async function ensureOnce(
  jsm: JetStreamManager,
  spec: StreamSpec,
  log: Pino,
  what: string,
  onCreate: Partial<StreamConfig>,
): Promise<StreamInfo> {
  let info: StreamInfo | undefined = await jsm.streams.info(spec.name).catch((err: unknown) => {
    if (/stream not found/i.test(String(err))) return undefined;
    throw err;
  });
  if (info === undefined) {
    try {
      return await jsm.streams.add({ ...onCreate, ...spec });
    } catch (err) {
      // Another replica created it meanwhile (its own `onCreate` won): go on as if it had been there.
      if (!/already in use/i.test(String(err))) throw err;
      info = await jsm.streams.info(spec.name);
    }
  }
  const have = info.config.num_replicas || 1;
  const merged = { ...info.config, ...spec, num_replicas: keptReplicas(log, what, have, spec.num_replicas) };
  const current = info.config as unknown as Record<string, unknown>;
  const wanted = merged as unknown as Record<string, unknown>;
  const differs = Object.keys(spec).some((k) => JSON.stringify(current[k]) !== JSON.stringify(wanted[k]));
  return differs ? await jsm.streams.update(spec.name, merged) : info;
}

/** Options of {@link ensureKvBucket}. */
export interface KvBucketOptions {
  replicas: number;
  /** @default 1 */
  history?: number;
  /** How long a value lives. @default forever */
  ttlMs?: number;
  /** A leaf's JetStream domain; default: the connection's own. */
  domain?: string;
  log: Pino;
}

/**
 * Opens a KV bucket, creating it with `replicas`; an existing bucket with fewer replicas is raised to them,
 * one with more keeps its own.
 * @throws HubspokeError `HS_ERR_JETSTREAM_UNAVAILABLE`, or `HS_ERR_CONFIG_INVALID` for replicas on a single server
 */
export async function ensureKvBucket(nc: NatsConnection, bucket: string, o: KvBucketOptions): Promise<KV> {
  const what = `KV bucket ${bucket}`;
  try {
    return await retrying(() => openBucketOnce(nc, bucket, o, what));
  } catch (err) {
    throw failure(what, o.replicas, err);
  }
}

async function openBucketOnce(nc: NatsConnection, bucket: string, o: KvBucketOptions, what: string): Promise<KV> {
  const opts = o.domain ? { domain: o.domain } : {};
  const kvm = new Kvm(jetstream(nc, opts));
  const kv = await kvm.create(bucket, {
    history: o.history ?? 1,
    replicas: o.replicas,
    // Direct gets are answered by any replica, a follower that has not applied the last write included: a plugin
    // read its own put back empty on a cluster with a node down. Gets of a replicated bucket go to its leader.
    ...(o.replicas > 1 ? { allow_direct: false } : {}),
    ...(o.ttlMs === undefined ? {} : { ttl: o.ttlMs }),
  });
  const jsm = await jetstreamManager(nc, opts);
  const info = await jsm.streams.info(`KV_${bucket}`);
  const have = info.config.num_replicas || 1;
  const replicas = have === o.replicas ? have : keptReplicas(o.log, what, have, o.replicas);
  const direct = replicas > 1 ? false : info.config.allow_direct;
  if (replicas === have && direct === info.config.allow_direct) return kv;
  await jsm.streams.update(info.config.name, { ...info.config, num_replicas: replicas, allow_direct: direct });
  // The client chose direct gets or not from the bucket's config when it opened it.
  return direct === info.config.allow_direct ? kv : await kvm.open(bucket);
}
