import { BasePlugin, capabilities, type Context, type EdgePayload } from '@hubspoke/sdk';
import {
  TELEMETRY_PAYLOAD_TYPE,
  collectorMethod,
  decodeTelemetry,
  pluginCall,
  type HostedPlugin,
  type PluginHost,
} from '@hubspoke/runtime';
import type { Logger as Pino } from 'pino';

/** The name of the built-in plugin that takes gateway telemetry from edges. */
export const TELEMETRY_RECEIVER_NAME = 'hubspoke-gateway';

/** Deadline of one collector call on the control plane. */
const COLLECTOR_MS = 5000;

/**
 * Built in, loaded first on every control plane: takes the edge payloads that carry gateway telemetry
 * (`metadata.type` = `hs.gateway.telemetry`, which it lists in `payloadTypes`: other payloads never reach it,
 * and telemetry reaches no other receiver), decodes each batch and hands every record to the control plane's
 * DataCollector plugins, in load order. Consuming payloads through the public EdgePayloadReceiver path keeps dispatch's promises
 * (order per edge, dedup by id, retries, dead letters) for telemetry too.
 *
 * It becomes a receiver only on a control plane that has collectors or other receivers (decided once plugins are
 * initialized, before dispatch starts): elsewhere, payloads keep waiting at the hub as before. Collectors fail
 * open: a throw is logged and counted, and the batch is not retried for it.
 */
export class GatewayTelemetryReceiver extends BasePlugin {
  /** Records handed to collectors, and collector calls that failed. */
  readonly counters = { records: 0, batches: 0, collectorErrors: 0 };
  private collectors: HostedPlugin[] = [];
  private log: Pino | undefined;

  constructor() {
    super({ name: TELEMETRY_RECEIVER_NAME, version: '1.0.0', description: 'gateway telemetry to DataCollectors' });
  }

  /** Finds the collectors; turns this plugin into a receiver when the control plane has collectors or receivers. */
  bind(host: PluginHost, log: Pino): void {
    this.log = log;
    const others = host.list().filter((h) => h.plugin !== this);
    this.collectors = others.filter((h) => capabilities.isDataCollector(h.plugin));
    const receivers = others.filter((h) => capabilities.isEdgePayloadReceiver(h.plugin));
    if (this.collectors.length > 0 || receivers.length > 0) {
      const self = this as unknown as { acceptEdgePayload: unknown; payloadTypes: readonly string[] };
      self.acceptEdgePayload = (ctx: Context, p: EdgePayload) => this.accept(ctx, p);
      self.payloadTypes = [TELEMETRY_PAYLOAD_TYPE];
    }
  }

  private async accept(_ctx: Context, p: EdgePayload): Promise<boolean> {
    if (p.metadata['type'] !== TELEMETRY_PAYLOAD_TYPE) return false;
    let records;
    try {
      records = decodeTelemetry(p.payload);
    } catch (err) {
      // Not retried: it would never decode. Handled, so it does not reach the other receivers either.
      this.log?.error(
        { err: String(err), payloadId: p.id, edgeId: p.edgeId },
        'gateway telemetry batch does not decode; dropped',
      );
      return true;
    }
    this.counters.batches++;
    for (const r of records) {
      this.counters.records++;
      const method = collectorMethod(r.kind);
      for (const h of this.collectors) {
        const fn = (h.plugin as unknown as Record<string, unknown>)[method];
        if (typeof fn !== 'function') continue;
        try {
          await pluginCall(h.name, method, COLLECTOR_MS, () =>
            (fn as (c: Context, x: unknown) => Promise<void>).call(h.plugin, h.ctx, r.record),
          );
        } catch (err) {
          this.counters.collectorErrors++;
          this.log?.warn({ err: String(err), plugin: h.name, payloadId: p.id }, 'data collector failed (fail open)');
        }
      }
    }
    return true;
  }
}
