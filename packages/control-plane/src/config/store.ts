import { ErrorCode, HubspokeError, isName, type ConfigEntry } from '@hubspoke/sdk';
import {
  ALL,
  assertConfigKey,
  configDigest,
  configScope,
  configSubjects,
  configValueJson,
  followBucket,
  subjects,
  type ConfigRecord,
  type SnapshotReply,
} from '@hubspoke/runtime';
import type { KV, KvEntry, KvWatchEntry } from '@nats-io/kv';
import type { Msg, NatsConnection, QueuedIterator, Subscription } from '@nats-io/transport-node';
import type { Logger as Pino } from 'pino';

/** The JetStream KV bucket of config objects at the hub, shared by every control-plane replica. */
export const CONFIG_BUCKET = 'hs-config';

/** How much of a snapshot goes in one reply message. */
/** Every edge request (see start()). */
const REQUESTS = 'hs.req.>';
const CHUNK_BYTES = 256 * 1024;

/** Counters of the config store on this replica; they only rise. */
export interface ConfigCounters {
  puts: number;
  deletes: number;
  /** Changes refused: invalid, or rejected by an object hook. */
  refused: number;
  /** Snapshot requests answered with records. */
  snapshots: number;
  /** Snapshot requests answered "unchanged" (the edge's digest matched). */
  unchanged: number;
  /** Edges told to ask for their snapshot because their heartbeat's digest did not match. */
  resyncs: number;
  /** Snapshot requests refused: their reply subject was not the requesting edge's own inbox. */
  badRequests: number;
}

/** What a change goes through before it is stored: object hooks and the schema of a control-plane plugin. */
export interface ConfigGate {
  /** Runs the object hooks in load order; resolves to the value to store (put) or throws with the refusal. */
  check(op: 'put' | 'delete', scope: string, key: string, value: unknown): Promise<unknown>;
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** The stored form: `{ "v": value }`, or `{ "deleted": true }` (a tombstone keeps the delete's revision). */
function decodeStored(scopeKey: string, e: KvEntry): ConfigRecord | undefined {
  const dot = scopeKey.indexOf('.');
  if (dot <= 0) return undefined;
  const scope = scopeKey.slice(0, dot);
  const key = scopeKey.slice(dot + 1);
  if (e.operation !== 'PUT') return { scope, key, revision: e.revision, deleted: true };
  try {
    const body = JSON.parse(dec.decode(e.value)) as { v?: unknown; deleted?: boolean };
    if (body.deleted === true) return { scope, key, revision: e.revision, deleted: true };
    return { scope, key, revision: e.revision, value: body.v };
  } catch {
    return undefined;
  }
}

/**
 * The config store of one control-plane replica. Objects live in the KV bucket `hs-config` under
 * `<scope>.<key>` (`_all` is the global scope); the bucket's sequence is the one revision counter of the store.
 * A watch keeps every replica's mirror current. A change is stored, then pushed at once on
 * `hs.cfg.<scope>._all.<key>`; edges that missed a push ask for a snapshot on `hs.req.<ns>.<edge>.config`
 * (any replica answers, from its mirror), giving their digest so that an edge already current costs one message.
 */
export class ConfigStore {
  readonly counters: ConfigCounters = {
    puts: 0,
    deletes: 0,
    refused: 0,
    snapshots: 0,
    unchanged: 0,
    resyncs: 0,
    badRequests: 0,
  };
  private readonly scopes = new Map<string, Map<string, ConfigRecord>>();
  private readonly latest = new Map<string, number>();
  private readonly digests = new Map<string, string>();
  private watch: QueuedIterator<KvWatchEntry> | undefined;
  private sub: Subscription | undefined;
  private stopped = false;

  constructor(
    private readonly nc: NatsConnection,
    private readonly kv: KV,
    private readonly log: Pino,
    private readonly gate: ConfigGate,
  ) {}

  /** Loads the store into memory and keeps following it. */
  async open(): Promise<void> {
    this.watch = await followBucket(this.kv, (e) => {
      const r = decodeStored(e.key, e);
      if (r) this.remember(r);
    });
  }

  /**
   * Answers snapshot requests (queue group: one replica answers each). Subscribed as `hs.req.>` and filtered
   * here: nats-server 2.9 does not propagate a `hs.req.*.*.config` interest to a leaf node whose permissions
   * allow only `hs.req.<ns>.<edge>.>`, so an edge behind its leaf with credentials was never answered.
   */
  start(): void {
    this.sub = this.nc.subscribe(REQUESTS, {
      queue: 'hs-control-config',
      callback: (err, msg) => {
        if (!err && msg.subject.endsWith('.config') && msg.subject.split('.').length === 5) this.answer(msg);
      },
    });
  }

  stop(): void {
    this.stopped = true;
    this.sub?.unsubscribe();
    this.watch?.stop();
  }

  async put(key: string, value: unknown, namespace?: string): Promise<number> {
    const scope = this.checkedScope(key, namespace);
    configValueJson(key, value);
    let stored: unknown;
    try {
      stored = await this.gate.check('put', scope, key, value);
    } catch (err) {
      this.counters.refused++;
      throw err;
    }
    const json = configValueJson(key, stored);
    const revision = await this.kv.put(`${scope}.${key}`, `{"v":${json}}`);
    this.counters.puts++;
    this.changed({ scope, key, revision, value: JSON.parse(json) as unknown });
    return revision;
  }

  /** Reads the bucket itself, so a change made on another replica a moment ago is seen. */
  async get(key: string, namespace?: string): Promise<unknown> {
    const scope = this.checkedScope(key, namespace);
    const e = await this.kv.get(`${scope}.${key}`);
    const r = e ? decodeStored(`${scope}.${key}`, e) : undefined;
    return r && !r.deleted ? r.value : undefined;
  }

  async delete(key: string, namespace?: string): Promise<boolean> {
    const scope = this.checkedScope(key, namespace);
    const e = await this.kv.get(`${scope}.${key}`);
    const existed = e?.operation === 'PUT' && decodeStored(`${scope}.${key}`, e)?.deleted !== true;
    if (!existed) return false;
    try {
      await this.gate.check('delete', scope, key, undefined);
    } catch (err) {
      this.counters.refused++;
      throw err;
    }
    const revision = await this.kv.put(`${scope}.${key}`, '{"deleted":true}');
    this.counters.deletes++;
    this.changed({ scope, key, revision, deleted: true });
    return true;
  }

  list(namespace?: string, prefix = ''): ConfigEntry[] {
    const scope = configScope(namespace);
    const out: ConfigEntry[] = [];
    for (const r of this.scopes.get(scope)?.values() ?? []) {
      if (!r.deleted && r.key.startsWith(prefix))
        out.push({ key: r.key, value: structuredClone(r.value), revision: r.revision });
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** The highest revision among the objects an edge of `namespace` should see (tombstones included). */
  latestFor(namespace: string): number {
    return Math.max(this.latest.get(ALL) ?? 0, this.latest.get(namespace) ?? 0);
  }

  /** The digest of what an edge of `namespace` should have. */
  digestFor(namespace: string): string {
    let d = this.digests.get(namespace);
    if (d === undefined) {
      d = configDigest(this.recordsFor(namespace));
      this.digests.set(namespace, d);
    }
    return d;
  }

  /** Tells an edge to ask for its snapshot. */
  resync(namespace: string, edgeId: string): void {
    if (this.stopped) return;
    this.counters.resyncs++;
    this.nc.publish(configSubjects.resync(namespace, edgeId));
  }

  private checkedScope(key: string, namespace: string | undefined): string {
    assertConfigKey(key);
    return configScope(namespace);
  }

  private *recordsFor(namespace: string): Iterable<ConfigRecord> {
    yield* this.scopes.get(ALL)?.values() ?? [];
    if (namespace !== ALL) yield* this.scopes.get(namespace)?.values() ?? [];
  }

  /** Takes a record into the mirror when it is newer than what is there; true when it was. */
  private remember(r: ConfigRecord): boolean {
    let scope = this.scopes.get(r.scope);
    if (!scope) this.scopes.set(r.scope, (scope = new Map()));
    const old = scope.get(r.key);
    if (old && old.revision >= r.revision) return false;
    scope.set(r.key, r);
    if (r.revision > (this.latest.get(r.scope) ?? 0)) this.latest.set(r.scope, r.revision);
    if (r.scope === ALL) this.digests.clear();
    else this.digests.delete(r.scope);
    return true;
  }

  private changed(r: ConfigRecord): void {
    this.remember(r);
    if (!this.nc.isClosed()) this.nc.publish(configSubjects.push(r.scope, r.key), enc.encode(JSON.stringify(r)));
  }

  private answer(req: Msg): void {
    const reply = req.reply;
    if (this.stopped) return;
    const [, , ns = '', edge = ''] = req.subject.split('.');
    // Answered only on the asking edge's own inbox: a reply subject of its choosing could inject the snapshot
    // anywhere the control plane may publish.
    if (!reply || !isName(ns) || !isName(edge) || !subjects.isInboxOf(reply, ns, edge)) {
      this.counters.badRequests++;
      this.log.warn(
        { subject: req.subject, reply },
        "config snapshot request refused: its reply subject is not the requesting edge's inbox",
      );
      return;
    }
    let theirs: unknown;
    try {
      theirs = (JSON.parse(dec.decode(req.data)) as { digest?: unknown }).digest;
    } catch {
      theirs = undefined;
    }
    const digest = this.digestFor(ns);
    const send = (m: SnapshotReply): void => this.nc.publish(reply, enc.encode(JSON.stringify(m)));
    if (theirs === digest) {
      this.counters.unchanged++;
      send({ unchanged: true, digest });
      return;
    }
    this.counters.snapshots++;
    let chunk: ConfigRecord[] = [];
    let bytes = 0;
    let count = 0;
    for (const r of this.recordsFor(ns)) {
      const size = JSON.stringify(r).length;
      if (chunk.length > 0 && bytes + size > CHUNK_BYTES) {
        send({ records: chunk });
        chunk = [];
        bytes = 0;
      }
      chunk.push(r);
      bytes += size;
      count++;
    }
    if (chunk.length > 0) send({ records: chunk });
    send({ done: true, digest, count });
  }
}

/** A refusal by an object hook. */
export function hookRefusal(plugin: string, scope: string, key: string, reason: string | undefined): HubspokeError {
  return new HubspokeError(
    ErrorCode.ConfigRejected,
    `config ${scope === ALL ? 'global' : `namespace ${scope}`} ${key} rejected by plugin ${plugin}: ${reason ?? 'no reason given'}`,
  );
}
