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

/** Encodes a batch: JSON `{ v: 1, records: [[kind, record], …] }`, timestamps as ISO strings (Date's own JSON). */
export function encodeTelemetry(records: readonly TelemetryRecord[]): Uint8Array {
  let out = '{"v":1,"records":[';
  for (let i = 0; i < records.length; i++) {
    const r = records[i] as TelemetryRecord;
    out += `${i === 0 ? '' : ','}["${r.kind}",${JSON.stringify(r.record)}]`;
  }
  return enc.encode(`${out}]}`);
}

/** Decodes a batch; throws on anything that is not one (the payload is then not telemetry of this version). */
export function decodeTelemetry(bytes: Uint8Array): TelemetryRecord[] {
  const body = JSON.parse(dec.decode(bytes)) as { v?: unknown; records?: unknown };
  if (body.v !== 1 || !Array.isArray(body.records)) throw new Error('not a telemetry batch of version 1');
  const out: TelemetryRecord[] = [];
  for (const item of body.records as unknown[]) {
    if (!Array.isArray(item) || item.length !== 2) throw new Error('a telemetry record is not [kind, record]');
    const [kind, rec] = item as [unknown, Record<string, unknown>];
    if (kind !== 'log' && kind !== 'analytics' && kind !== 'budget')
      throw new Error(`unknown record kind ${String(kind)}`);
    const ts = rec?.['timestamp'];
    if (typeof rec !== 'object' || rec === null || (typeof ts !== 'number' && typeof ts !== 'string'))
      throw new Error('a telemetry record has no timestamp');
    const record = { ...rec, timestamp: new Date(ts) };
    if (Number.isNaN(record.timestamp.getTime())) throw new Error('a telemetry record has a bad timestamp');
    out.push({ kind, record } as TelemetryRecord);
  }
  return out;
}

/** The DataCollector method of a record's kind. */
export function collectorMethod(
  kind: TelemetryRecord['kind'],
): 'handleProxyLog' | 'handleAnalytics' | 'handleBudgetUsage' {
  return kind === 'log' ? 'handleProxyLog' : kind === 'analytics' ? 'handleAnalytics' : 'handleBudgetUsage';
}
