import {
  ErrorCode,
  HubspokeError,
  capabilities,
  type ConfigChange,
  type ConfigEntry,
  type EdgeConfigView,
  type KVService,
  type Plugin,
} from '@hubspoke/sdk';
import {
  ALL,
  Backoff,
  configDigest,
  configSubjects,
  parseConfigRecord,
  pluginCall,
  recordId,
  validatePluginConfig,
  type ConfigRecord,
  type SetupContext,
  type SnapshotReply,
  type SnapshotRequest,
} from '@hubspoke/runtime';
import { createInbox, type Msg, type Subscription } from '@nats-io/transport-node';

/** How long the first snapshot request may take at start before the edge goes on with what it kept. */
const START_WAIT_MS = 5000;
const REQUEST_WAIT_MS = 10_000;
/** Between snapshot requests when all is well (each costs one message when nothing changed). */
const RESYNC_MS = 30_000;
/** After a request that got no answer, the first retry; it doubles up to RESYNC_MS. */
const RETRY_FIRST_MS = 1000;
const CHANGE_TIMEOUT_MS = 10_000;

const enc = new TextEncoder();
const dec = new TextDecoder();
const PLUGIN_PREFIX = 'plugin.';

interface Rejection {
  revision: number;
  store: string | undefined;
  error: string;
  seq: number;
}

/** What the config sync needs from the rest of the edge. */
export interface EdgeConfigOptions {
  ctx: SetupContext;
  /** Where applied records are kept (the leaf's JetStream, or a file when direct): the last-known-good config. */
  kv: KVService;
  namespace: string;
  edgeId: string;
  /** Called after a change was applied or rejected, so that the heartbeat reports it at once. */
  onOutcome: () => void;
}

/**
 * The edge's config: what it applied, kept locally so that it starts with it while the hub is away; pushes
 * from the control plane on `hs.cfg.*`, applied per key in revision order; and snapshots asked for on
 * `hs.req.<ns>.<edge>.config` at start, after every reconnect, when the control plane says so (`_resync`), and
 * every 30 s, each carrying the digest of what the edge holds so that an edge already current gets one message.
 *
 * A namespace object replaces the global object of the same key whole. A `plugin.<name>` value for a plugin this
 * edge runs is validated against its schema and offered to its `onConfigChange` before it is applied; if either
 * refuses it, the edge keeps the old value and reports the error (`lastError`) until that key's next revision
 * is applied. A rejected revision does not advance `appliedRevision`.
 */
export class EdgeConfig {
  private readonly stored = new Map<string, ConfigRecord>();
  private readonly rejected = new Map<string, Rejection>();
  private rejectSeq = 0;
  private applied = 0;
  /** The config store the records held came from (undefined: not known, as kept by an older edge). */
  private store: string | undefined;
  private digest: string | undefined;
  /**
   * The record being applied (taken into memory for the plugin to read, not kept yet) and what was held before
   * it: the digest leaves it out until it is kept, so a heartbeat never reports a config still being applied.
   */
  private applying: { id: string; before: ConfigRecord | undefined } | undefined;
  private chain: Promise<void> = Promise.resolve();
  private subs: Subscription[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly retry = new Backoff({ initialMs: RETRY_FIRST_MS, maxMs: RESYNC_MS });
  private syncing: Promise<boolean> | undefined;
  private again = false;
  private live = false;
  private stopped = false;
  private release!: () => void;
  private abortRequest: (() => void) | undefined;
  private readonly listeners: ((key: string) => void)[] = [];

  constructor(private readonly o: EdgeConfigOptions) {}

  /** The edge's effective view for plugins: global objects overlaid by its namespace's. */
  readonly view: EdgeConfigView = {
    get: async (key) => {
      const r = this.effective(key);
      return r ? structuredClone(r.value) : undefined;
    },
    list: async () => {
      const keys = new Set<string>();
      for (const r of this.stored.values()) keys.add(r.key);
      const out: ConfigEntry[] = [];
      for (const k of [...keys].sort()) {
        const r = this.effective(k);
        if (r) out.push({ key: k, value: structuredClone(r.value), revision: r.revision });
      }
      return out;
    },
  };

  /**
   * Loads what was applied before, subscribes to pushes, and asks for a snapshot (waiting up to 5 s); resolves
   * to whether the control plane answered.
   */
  async start(): Promise<boolean> {
    for (const k of await this.o.kv.list('')) {
      const v = await this.o.kv.get(k);
      if (!v) continue;
      let r: ConfigRecord | string;
      try {
        r = parseConfigRecord(JSON.parse(dec.decode(v)));
      } catch {
        r = 'not JSON';
      }
      if (typeof r === 'string') {
        this.o.ctx.log.warn({ key: k, why: r }, 'a kept config record is damaged; skipped');
        continue;
      }
      this.keep(r);
      this.applied = Math.max(this.applied, r.revision);
    }
    const stores = new Set([...this.stored.values()].map((r) => r.store));
    this.store = stores.size === 1 ? [...stores][0] : undefined;
    if (this.stored.size > 0) {
      this.o.ctx.log.info(
        { records: this.stored.size, revision: this.applied },
        'config loaded from what this edge kept',
      );
    }
    for (const subject of configSubjects.edgeSubjects(this.o.namespace, this.o.edgeId)) {
      this.subs.push(
        this.o.ctx.nc.subscribe(subject, {
          callback: (err, m) => {
            if (!err) this.onPush(m);
          },
        }),
      );
    }
    this.o.ctx.onReconnect(() => void this.sync());
    const ok = await this.sync(START_WAIT_MS);
    // Changes that arrive from now until the plugins are initialized wait, so that none is applied unseen.
    const held = new Promise<void>((resolve) => (this.release = resolve));
    this.chain = this.chain.then(() => held);
    if (!ok) {
      this.o.ctx.log.warn(
        { records: this.stored.size, revision: this.applied },
        'the control plane did not answer for the config snapshot: starting with the last config applied here; catching up when it answers',
      );
    }
    return ok;
  }

  /** From now on, changes are offered to plugins' `onConfigChange` (called once the plugins are initialized). */
  goLive(): void {
    this.live = true;
    this.release();
  }

  /** Stops taking changes; resolves once the change being applied (and kept) is done: nothing is written after. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.release?.();
    clearTimeout(this.timer);
    for (const s of this.subs) s.unsubscribe();
    this.abortRequest?.();
    await this.syncing?.catch(() => undefined);
    await this.chain;
  }

  /** Calls `fn` with the key after every change to the effective view (the gateway recompiles its table here). */
  onEffectiveChange(fn: (key: string) => void): void {
    this.listeners.push(fn);
  }

  /** The highest revision applied. */
  appliedRevision(): number {
    return this.applied;
  }

  /** The digest of the records held (kept: not one still being applied). */
  configDigest(): string {
    const a = this.applying;
    if (a) {
      const kept = new Map(this.stored);
      if (a.before) kept.set(a.id, a.before);
      else kept.delete(a.id);
      return configDigest(kept.values());
    }
    return (this.digest ??= configDigest(this.stored.values()));
  }

  /** The latest rejection still standing, as `HS_ERR_CONFIG_INVALID <key>@<revision>: …` (or HS_ERR_PLUGIN). */
  lastError(): string | undefined {
    let last: Rejection | undefined;
    for (const r of this.rejected.values()) if (!last || r.seq > last.seq) last = r;
    return last?.error;
  }

  /** How many rejections stand (keys whose latest revision this edge refused). */
  rejectedCount(): number {
    return this.rejected.size;
  }

  /** The effective `plugin.<name>` object, validated against the plugin's schema; undefined when there is none. */
  pluginConfig(name: string): Record<string, unknown> | undefined {
    const r = this.effective(PLUGIN_PREFIX + name);
    if (!r || typeof r.value !== 'object' || r.value === null || Array.isArray(r.value)) return undefined;
    const p = this.o.ctx.host.plugins().find((x) => x.info.name === name);
    if (p && capabilities.isConfigProvider(p)) {
      try {
        return validatePluginConfig(name, p.getConfigSchema(), r.value as Record<string, unknown>);
      } catch (err) {
        this.o.ctx.log.error(
          { err: String(err), key: r.key },
          'the kept config does not fit the plugin schema; the plugin starts with its local config',
        );
        return undefined;
      }
    }
    return structuredClone(r.value as Record<string, unknown>);
  }

  private effective(key: string): ConfigRecord | undefined {
    const n = this.stored.get(recordId(this.o.namespace, key));
    if (n && !n.deleted) return n;
    const g = this.stored.get(recordId(ALL, key));
    return g && !g.deleted ? g : undefined;
  }

  private keep(r: ConfigRecord): void {
    this.stored.set(recordId(r.scope, r.key), r);
    this.digest = undefined;
  }

  private onPush(m: Msg): void {
    const parts = m.subject.split('.');
    const scope = parts[2] ?? '';
    const key = parts.slice(4).join('.');
    if (key === '_resync') {
      void this.sync();
      return;
    }
    let r: ConfigRecord | string;
    try {
      r = parseConfigRecord(JSON.parse(dec.decode(m.data)));
    } catch {
      r = 'not JSON';
    }
    if (typeof r === 'string' || r.scope !== scope || r.key !== key) {
      this.o.ctx.log.warn(
        { subject: m.subject, why: typeof r === 'string' ? r : 'body names another key' },
        'config push ignored',
      );
      return;
    }
    const rec = r;
    void this.enqueue(async () => {
      if (await this.apply(rec)) this.o.onOutcome();
    });
    // A record of another store (the hub's was rebuilt, or this edge moved): what is held counts in the old one,
    // so a whole snapshot of the new store replaces it.
    if (rec.store !== undefined && rec.store !== this.store) void this.sync();
  }

  private enqueue(fn: () => Promise<void>): Promise<void> {
    if (this.stopped) return this.chain;
    const run = this.chain.then(fn, fn);
    this.chain = run.catch((err: unknown) => this.o.ctx.log.error({ err: String(err) }, 'config apply failed'));
    return this.chain;
  }

  /**
   * Applies one record if it is newer than what is held for its scope and key; resolves to whether anything
   * changed (applied, or rejected anew). `force` applies a removal the snapshot implies (no newer revision).
   */
  private async apply(r: ConfigRecord, force = false): Promise<boolean> {
    if (r.scope !== ALL && r.scope !== this.o.namespace) return false;
    const id = recordId(r.scope, r.key);
    const cur = this.stored.get(id);
    // Revisions compare only within one store: a record of another store is newer whatever its revision.
    if (!force && cur && cur.store === r.store && cur.revision >= r.revision) return false;
    const refused = this.rejected.get(id);
    if (refused?.revision === r.revision && refused.store === r.store) return false;
    const before = this.effective(r.key);
    const nsAfter = r.scope === ALL ? this.stored.get(recordId(this.o.namespace, r.key)) : r;
    const globalAfter = r.scope === ALL ? r : this.stored.get(recordId(ALL, r.key));
    const after = nsAfter && !nsAfter.deleted ? nsAfter : globalAfter && !globalAfter.deleted ? globalAfter : undefined;
    const effectiveChanged =
      (before?.revision ?? 0) !== (after?.revision ?? 0) ||
      before?.scope !== after?.scope ||
      before?.store !== after?.store;
    const change: ConfigChange = {
      key: r.key,
      value: after ? structuredClone(after.value) : undefined,
      revision: r.revision,
      deleted: !after,
    };
    const own = effectiveChanged && r.key.startsWith(PLUGIN_PREFIX) ? this.ownerOf(r.key) : undefined;
    const schemaProblem = own ? this.validateOwn(own, r, after, change) : undefined;
    if (schemaProblem) return this.reject(id, r, schemaProblem);
    // Taken into memory first, so that the plugin reading its config inside onConfigChange sees the new value;
    // put back if the plugin refuses it or it cannot be kept. What the heartbeat reports (appliedRevision,
    // lastError) changes only once it is kept, below.
    const restore = (): void => {
      if (cur) this.stored.set(id, cur);
      else this.stored.delete(id);
      this.digest = undefined;
    };
    this.applying = { id, before: cur };
    if (force) this.stored.delete(id);
    else this.keep(r);
    this.digest = undefined;
    try {
      if (own && this.live) {
        const refusal = await this.offerOwn(own, r, change);
        if (refusal) {
          restore();
          return this.reject(id, r, refusal);
        }
      }
      try {
        await (force
          ? this.o.kv.delete(`${r.scope}.${r.key}`)
          : this.o.kv.put(`${r.scope}.${r.key}`, JSON.stringify(r)));
      } catch (err) {
        // Not kept, so not applied: the next snapshot brings it again (the digest still differs).
        restore();
        throw err;
      }
    } finally {
      this.applying = undefined;
      this.digest = undefined;
    }
    // One step, no await between: a heartbeat sees the revision and the rejection it clears change together.
    this.rejected.delete(id);
    if (!force && r.revision > this.applied) this.applied = r.revision;
    if (effectiveChanged) for (const fn of this.listeners) fn(r.key);
    if (effectiveChanged && this.live && !r.key.startsWith(PLUGIN_PREFIX)) await this.tellAll(change);
    return true;
  }

  private reject(id: string, r: ConfigRecord, problem: string): boolean {
    this.rejected.set(id, { revision: r.revision, store: r.store, error: problem, seq: ++this.rejectSeq });
    this.o.ctx.log.warn(
      { key: r.key, scope: r.scope, revision: r.revision, error: problem },
      'config rejected; the previous value stays in force',
    );
    return true;
  }

  /** The plugin this edge runs whose own config `key` is (`plugin.<name>`), if any. */
  private ownerOf(key: string): Plugin | undefined {
    const name = key.slice(PLUGIN_PREFIX.length);
    return this.o.ctx.host.plugins().find((p) => p.info.name === name);
  }

  /** Checks a plugin's new config against its schema (filling defaults into `change.value`); the error, if any. */
  private validateOwn(
    plugin: Plugin,
    r: ConfigRecord,
    after: ConfigRecord | undefined,
    change: ConfigChange,
  ): string | undefined {
    if (!after) return undefined;
    if (typeof after.value !== 'object' || after.value === null || Array.isArray(after.value)) {
      return `${ErrorCode.ConfigInvalid} ${r.key}@${r.revision}: (root): a plugin's config must be a JSON object`;
    }
    if (!capabilities.isConfigProvider(plugin)) return undefined;
    try {
      change.value = validatePluginConfig(
        plugin.info.name,
        plugin.getConfigSchema(),
        after.value as Record<string, unknown>,
      );
    } catch (err) {
      const msg = (err as Error).message.replace(/^(HS_ERR_[A-Z_]+: )?plugin \S+ config is invalid: /, '');
      return `${ErrorCode.ConfigInvalid} ${r.key}@${r.revision}: ${msg}`;
    }
    return undefined;
  }

  /** Offers a plugin its new config; the error when its onConfigChange throws (it refuses the config). */
  private async offerOwn(plugin: Plugin, r: ConfigRecord, change: ConfigChange): Promise<string | undefined> {
    const h = this.o.ctx.host.list().find((x) => x.plugin === plugin);
    if (!h || !capabilities.isConfigChangeHandler(plugin)) return undefined;
    try {
      await pluginCall(h.name, 'onConfigChange', CHANGE_TIMEOUT_MS, () => plugin.onConfigChange(h.ctx, change));
    } catch (err) {
      return `${ErrorCode.Plugin} ${r.key}@${r.revision}: ${(err as Error).message}`;
    }
    return undefined;
  }

  /** Tells every plugin with `onConfigChange` of a change to a key that is no plugin's own config. */
  private async tellAll(change: ConfigChange): Promise<void> {
    for (const h of this.o.ctx.host.list()) {
      const p = h.plugin;
      if (!capabilities.isConfigChangeHandler(p)) continue;
      await pluginCall(h.name, 'onConfigChange', CHANGE_TIMEOUT_MS, () =>
        p.onConfigChange(h.ctx, structuredClone(change)),
      ).catch((err: unknown) =>
        this.o.ctx.log.error({ err: String(err), plugin: h.name, key: change.key }, 'onConfigChange failed'),
      );
    }
  }

  /**
   * Asks for a snapshot and applies it; resolves to whether the control plane answered. Overlapping calls
   * share one request (and one more after it, when asked meanwhile). Schedules the next request.
   */
  sync(waitMs = REQUEST_WAIT_MS): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    if (this.syncing) {
      this.again = true;
      return this.syncing;
    }
    clearTimeout(this.timer);
    const run = (async () => {
      let ok = false;
      try {
        do {
          this.again = false;
          const snapshot = await this.request(waitMs);
          if (snapshot) await this.enqueue(() => this.applySnapshot(snapshot.records, snapshot.store));
          ok = true;
        } while (this.again && !this.stopped);
        this.retry.reset();
      } catch (err) {
        this.o.ctx.log.debug(
          { err: String(err), retryMs: this.retry.peek() },
          'config snapshot not answered; asking again later',
        );
      } finally {
        this.syncing = undefined;
      }
      if (!this.stopped) {
        const next = ok ? RESYNC_MS : this.retry.next();
        this.timer = setTimeout(() => void this.sync(), next);
        this.timer.unref();
      }
      return ok;
    })();
    this.syncing = run;
    return run;
  }

  private async applySnapshot(records: ConfigRecord[], store: string | undefined): Promise<void> {
    let changed = false;
    const seen = new Set<string>();
    const switched = store !== this.store;
    for (const x of records.sort((a, b) => a.revision - b.revision)) {
      const r = store === undefined || x.store !== undefined ? x : { ...x, store };
      seen.add(recordId(r.scope, r.key));
      if (await this.apply(r)) changed = true;
    }
    for (const [id, r] of [...this.stored]) {
      if (!seen.has(id) && !r.deleted) {
        if (await this.apply({ scope: r.scope, key: r.key, revision: r.revision, deleted: true }, true)) changed = true;
      }
    }
    for (const id of [...this.rejected.keys()]) if (!seen.has(id)) this.rejected.delete(id);
    if (switched) {
      // Revisions of the old store (a record a plugin refused stays from it) no longer count as applied.
      this.store = store;
      const current = [...this.stored.values()].filter((r) => r.store === store).map((r) => r.revision);
      this.applied = Math.max(0, ...current);
      this.o.ctx.log.info({ store, revision: this.applied }, 'config now from another store: kept revisions reset');
      changed = true;
    }
    if (changed) this.o.onOutcome();
  }

  /**
   * Whether a control plane answers a snapshot request now (what it sends is not applied: the next sync does
   * that). For start, before the plugins run, when a change would wait for them.
   */
  probe(waitMs: number): Promise<boolean> {
    return this.request(waitMs).then(
      () => true,
      () => false,
    );
  }

  /** One snapshot request: the records and their store, or undefined when unchanged. Rejects when nobody answers. */
  private request(waitMs: number): Promise<{ records: ConfigRecord[]; store: string | undefined } | undefined> {
    const nc = this.o.ctx.nc;
    const inbox = createInbox(this.o.ctx.inboxPrefix);
    return new Promise((resolve, reject) => {
      const records: ConfigRecord[] = [];
      const end = (fn: () => void): void => {
        clearTimeout(timer);
        sub.unsubscribe();
        this.abortRequest = undefined;
        fn();
      };
      const timer = setTimeout(() => end(() => reject(new Error(`no answer within ${waitMs} ms`))), waitMs);
      this.abortRequest = () => end(() => reject(new Error('the edge is stopping')));
      const sub = nc.subscribe(inbox, {
        callback: (err, m) => {
          if (err) return end(() => reject(err));
          if (m.headers?.hasError)
            return end(() => reject(new Error(`${m.headers?.code ?? ''} ${m.headers?.description ?? ''}`.trim())));
          let reply: SnapshotReply;
          try {
            reply = JSON.parse(dec.decode(m.data)) as SnapshotReply;
          } catch {
            return end(() =>
              reject(new HubspokeError(ErrorCode.EnvelopeMalformed, 'config snapshot reply is not JSON')),
            );
          }
          if ('unchanged' in reply) return end(() => resolve(undefined));
          if ('records' in reply && Array.isArray(reply.records)) {
            for (const x of reply.records) {
              const r = parseConfigRecord(x);
              if (typeof r !== 'string') records.push(r);
            }
            return;
          }
          if ('done' in reply) end(() => resolve({ records, store: reply.store }));
        },
      });
      nc.publish(
        configSubjects.request(this.o.namespace, this.o.edgeId),
        enc.encode(JSON.stringify({ digest: this.configDigest(), store: this.store } satisfies SnapshotRequest)),
        {
          reply: inbox,
        },
      );
    });
  }
}
