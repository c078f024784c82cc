import type { Analytics, BudgetUsage, ProxyLog } from '@hubspoke/sdk';

/** `metadata.type` of the edge payloads that carry gateway telemetry to the control plane. */
export const TELEMETRY_PAYLOAD_TYPE = 'hs.gateway.telemetry';

/** One telemetry record, tagged with its kind. */
export type TelemetryRecord =
  | { kind: 'log'; record: ProxyLog }
  | { kind: 'analytics'; record: Analytics }
  | { kind: 'budget'; record: BudgetUsage };

const enc = new TextEncoder();
const dec = new TextDecoder();

/*
 * A batch is JSON `{ v: 2, records: [[kind, ...fields in a fixed order], …] }`: positional, so that field names are
 * not repeated in every record (half the bytes through JetStream and half the parsing at the control plane).
 * Absent optional fields are null; timestamps are unix ms.
 */

function enc1(r: TelemetryRecord): unknown[] {
  switch (r.kind) {
    case 'log': {
      const x = r.record;
      return [
        'log',
        x.requestId,
        x.route,
        x.method,
        x.path,
        x.statusCode,
        x.appId ?? null,
        x.userId ?? null,
        Math.round(x.latencyMs * 1000) / 1000,
        x.requestBytes,
        x.responseBytes,
        x.edgeId,
        x.timestamp.getTime(),
      ];
    }
    case 'analytics': {
      const x = r.record;
      return [
        'analytics',
        x.requestId,
        x.route,
        x.appId ?? null,
        x.model,
        x.promptTokens,
        x.completionTokens,
        x.totalTokens,
        x.edgeId,
        x.timestamp.getTime(),
      ];
    }
    case 'budget': {
      const x = r.record;
      return [
        'budget',
        x.requestId,
        x.route,
        x.appId ?? null,
        x.model,
        x.promptTokens,
        x.completionTokens,
        x.cost,
        x.currency,
        x.edgeId,
        x.timestamp.getTime(),
      ];
    }
  }
}

/** Encodes a batch of records (see above). */
export function encodeTelemetry(records: readonly TelemetryRecord[]): Uint8Array {
  let out = '{"v":2,"records":[';
  for (let i = 0; i < records.length; i++)
    out += (i === 0 ? '' : ',') + JSON.stringify(enc1(records[i] as TelemetryRecord));
  return enc.encode(`${out}]}`);
}

const str = (v: unknown, what: string): string => {
  if (typeof v !== 'string') throw new Error(`${what} is not a string`);
  return v;
};
const num = (v: unknown, what: string): number => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${what} is not a number`);
  return v;
};
const opt = (v: unknown, what: string): string | undefined => (v === null ? undefined : str(v, what));

function dec1(a: unknown): TelemetryRecord {
  if (!Array.isArray(a)) throw new Error('a telemetry record is not an array');
  const kind = a[0];
  if (kind === 'log') {
    const appId = opt(a[6], 'appId');
    const userId = opt(a[7], 'userId');
    return {
      kind,
      record: {
        requestId: str(a[1], 'requestId'),
        route: str(a[2], 'route'),
        method: str(a[3], 'method'),
        path: str(a[4], 'path'),
        statusCode: num(a[5], 'statusCode'),
        ...(appId === undefined ? {} : { appId }),
        ...(userId === undefined ? {} : { userId }),
        latencyMs: num(a[8], 'latencyMs'),
        requestBytes: num(a[9], 'requestBytes'),
        responseBytes: num(a[10], 'responseBytes'),
        edgeId: str(a[11], 'edgeId'),
        timestamp: new Date(num(a[12], 'timestamp')),
      },
    };
  }
  if (kind === 'analytics') {
    const appId = opt(a[3], 'appId');
    return {
      kind,
      record: {
        requestId: str(a[1], 'requestId'),
        route: str(a[2], 'route'),
        ...(appId === undefined ? {} : { appId }),
        model: str(a[4], 'model'),
        promptTokens: num(a[5], 'promptTokens'),
        completionTokens: num(a[6], 'completionTokens'),
        totalTokens: num(a[7], 'totalTokens'),
        edgeId: str(a[8], 'edgeId'),
        timestamp: new Date(num(a[9], 'timestamp')),
      },
    };
  }
  if (kind === 'budget') {
    const appId = opt(a[3], 'appId');
    return {
      kind,
      record: {
        requestId: str(a[1], 'requestId'),
        route: str(a[2], 'route'),
        ...(appId === undefined ? {} : { appId }),
        model: str(a[4], 'model'),
        promptTokens: num(a[5], 'promptTokens'),
        completionTokens: num(a[6], 'completionTokens'),
        cost: num(a[7], 'cost'),
        currency: str(a[8], 'currency'),
        edgeId: str(a[9], 'edgeId'),
        timestamp: new Date(num(a[10], 'timestamp')),
      },
    };
  }
  throw new Error(`unknown record kind ${String(kind)}`);
}

/** Decodes a batch; throws on anything that is not one (the payload is then not telemetry of this version). */
export function decodeTelemetry(bytes: Uint8Array): TelemetryRecord[] {
  const body = JSON.parse(dec.decode(bytes)) as { v?: unknown; records?: unknown };
  if (body.v !== 2 || !Array.isArray(body.records)) throw new Error('not a telemetry batch of version 2');
  return (body.records as unknown[]).map(dec1);
}

/** The DataCollector method of a record's kind. */
export function collectorMethod(
  kind: TelemetryRecord['kind'],
): 'handleProxyLog' | 'handleAnalytics' | 'handleBudgetUsage' {
  return kind === 'log' ? 'handleProxyLog' : kind === 'analytics' ? 'handleAnalytics' : 'handleBudgetUsage';
}
