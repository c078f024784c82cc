import { Buffer } from 'node:buffer';
import {
  CONTENT_TYPE_BYTES,
  CONTENT_TYPE_JSON,
  Direction,
  EnvelopeEncoder,
  ErrorCode,
  HubspokeError,
  Runtime,
  assertName,
  assertTopic,
  assertTopicPattern,
  type EventHandler,
  type EventsService,
  type PublishOptions,
  type SubscribeOptions,
} from '@hubspoke/sdk';
import { assertMetadata, assertPayloadSize } from '@hubspoke/sdk/internal';
import { handlerScope } from '../logger.js';
import type { Fabric, NodeIdentity } from './fabric.js';
import type { LocalBus } from './local-bus.js';

const validTopics = new Set<string>();

function checkTopic(topic: string): void {
  if (validTopics.has(topic)) return;
  assertTopic(topic);
  if (validTopics.size > 10000) validTopics.clear();
  validTopics.add(topic);
}

function checkDirection(dir: unknown): asserts dir is Direction {
  if (dir !== Direction.Local && dir !== Direction.Up && dir !== Direction.Down) {
    throw new HubspokeError(ErrorCode.InvalidArgument, `direction ${String(dir)} is not Direction.Local, Up or Down`);
  }
}

/**
 * The Events service one plugin sees: publishes with its own origin (`plugin:<name>@<node>`, encoded once),
 * and owns its subscriptions, which end when the plugin shuts down.
 */
export class PluginEvents implements EventsService {
  private readonly encoder: EnvelopeEncoder;
  private readonly origin: string;

  constructor(
    private readonly plugin: string,
    private readonly me: NodeIdentity,
    private readonly fabric: Fabric,
    private readonly bus: LocalBus,
  ) {
    this.origin = `plugin:${plugin}@${me.nodeId}`;
    this.encoder = new EnvelopeEncoder({
      origin: this.origin,
      namespace: me.namespace ?? '',
      edgeId: me.runtime === Runtime.Edge ? me.nodeId : '',
    });
  }

  async publish(topic: string, payload: unknown, dir: Direction, opts?: PublishOptions): Promise<string> {
    let json: string | undefined;
    try {
      json = JSON.stringify(payload);
    } catch (cause) {
      throw new HubspokeError(ErrorCode.InvalidArgument, `payload of ${topic} is not JSON-serialisable`, { cause });
    }
    const bytes = json === undefined ? new Uint8Array(0) : Buffer.from(json);
    return this.send(topic, bytes, CONTENT_TYPE_JSON, dir, opts);
  }

  async publishRaw(topic: string, payload: Uint8Array, dir: Direction, opts?: PublishOptions): Promise<string> {
    if (!(payload instanceof Uint8Array)) {
      throw new HubspokeError(ErrorCode.InvalidArgument, `publishRaw(${topic}) needs a Uint8Array payload`);
    }
    return this.send(topic, payload, CONTENT_TYPE_BYTES, dir, opts);
  }

  private send(
    topic: string,
    payload: Uint8Array,
    contentType: string,
    dir: Direction,
    opts?: PublishOptions,
  ): string | Promise<string> {
    checkTopic(topic);
    checkDirection(dir);
    const limits = this.fabric.limits;
    assertPayloadSize(limits, payload.length);
    if (opts) {
      assertMetadata(limits, opts.metadata, opts);
      if (opts.namespace !== undefined) assertName('namespace', opts.namespace);
      if (opts.edgeId !== undefined) assertName('edge id', opts.edgeId);
    }
    const scope = handlerScope.getStore();
    const out = {
      encoder: this.encoder,
      origin: this.origin,
      topic,
      dir,
      payload,
      contentType,
      correlationId: opts?.correlationId ?? scope?.correlationId,
      causationId: opts?.causationId ?? scope?.eventId,
      traceparent: opts?.traceparent ?? scope?.traceparent,
      metadata: opts?.metadata,
      target: opts && dir === Direction.Down ? { namespace: opts.namespace, edgeId: opts.edgeId } : undefined,
    } as Parameters<Fabric['publish']>[0];
    return opts?.durable ? this.fabric.publishDurable(out) : this.fabric.publish(out);
  }

  async subscribe(topicOrPattern: string, handler: EventHandler, opts?: SubscribeOptions): Promise<string> {
    assertTopicPattern(topicOrPattern);
    return this.add(topicOrPattern, handler, opts);
  }

  async subscribeAll(handler: EventHandler, opts?: SubscribeOptions): Promise<string> {
    return this.add('>', handler, opts);
  }

  private add(pattern: string, handler: EventHandler, opts?: SubscribeOptions): string {
    if (typeof handler !== 'function') {
      throw new HubspokeError(ErrorCode.InvalidArgument, `subscribe(${pattern}) needs a handler function`);
    }
    const q = opts?.queueSize;
    if (q !== undefined && (!Number.isInteger(q) || q < 1 || q > 1_000_000)) {
      throw new HubspokeError(ErrorCode.InvalidArgument, `queueSize ${q} must be an integer from 1 to 1000000`);
    }
    return this.bus.add(this.plugin, pattern, handler, q);
  }

  async unsubscribe(subscriptionId: string): Promise<void> {
    if (this.bus.ownerOf(subscriptionId) === this.plugin) this.bus.remove(subscriptionId);
  }
}
