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
 * Absent optional fields are null; timestamps are unix ms. FIELDS is that order, for both directions.
 */

/**
 * How a field travels: `str` a string, `opt` a string or null when absent, `num` a finite number, `us` a number
 * rounded to 3 decimals (a latency in ms, to the microsecond), `date` a Date as unix ms.
 */
type Wire = 'str' | 'opt' | 'num' | 'us' | 'date';
type Kind = TelemetryRecord['kind'];

const FIELDS: Record<Kind, readonly (readonly [name: string, wire: Wire])[]> = {
  log: [
    ['requestId', 'str'],
    ['route', 'str'],
    ['method', 'str'],
    ['path', 'str'],
    ['statusCode', 'num'],
    ['appId', 'opt'],
    ['userId', 'opt'],
    ['latencyMs', 'us'],
    ['requestBytes', 'num'],
    ['responseBytes', 'num'],
    ['edgeId', 'str'],
    ['timestamp', 'date'],
  ],
  analytics: [
    ['requestId', 'str'],
    ['route', 'str'],
    ['appId', 'opt'],
    ['model', 'str'],
    ['promptTokens', 'num'],
    ['completionTokens', 'num'],
    ['totalTokens', 'num'],
    ['edgeId', 'str'],
    ['timestamp', 'date'],
  ],
  budget: [
    ['requestId', 'str'],
    ['route', 'str'],
    ['appId', 'opt'],
    ['model', 'str'],
    ['promptTokens', 'num'],
    ['completionTokens', 'num'],
    ['cost', 'num'],
    ['currency', 'str'],
    ['edgeId', 'str'],
    ['timestamp', 'date'],
  ],
};

function enc1(r: TelemetryRecord): unknown[] {
  const x = r.record as unknown as Record<string, unknown>;
  const out: unknown[] = [r.kind];
  for (const [name, wire] of FIELDS[r.kind]) {
    const v = x[name];
    if (wire === 'opt') out.push(v ?? null);
    else if (wire === 'us') out.push(Math.round((v as number) * 1000) / 1000);
    else if (wire === 'date') out.push((v as Date).getTime());
    else out.push(v);
  }
  return out;
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

/** One record; an absent optional field is left out (not undefined), the others keep FIELDS' order. */
function dec1(a: unknown): TelemetryRecord {
  if (!Array.isArray(a)) throw new Error('a telemetry record is not an array');
  const kind: unknown = a[0];
  if (kind !== 'log' && kind !== 'analytics' && kind !== 'budget') {
    throw new Error(`unknown record kind ${String(kind)}`);
  }
  const record: Record<string, unknown> = {};
  FIELDS[kind].forEach(([name, wire], i) => {
    const v: unknown = a[i + 1];
    if (wire === 'opt') {
      if (v !== null) record[name] = str(v, name);
    } else if (wire === 'str') record[name] = str(v, name);
    else if (wire === 'date') record[name] = new Date(num(v, name));
    else record[name] = num(v, name);
  });
  return { kind, record } as unknown as TelemetryRecord;
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
