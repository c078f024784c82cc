// The shape of a bench result (also what --out writes) and the table printed from it.

/** One line of the table: one metric, the fabric's figure and its raw twins' figures, all medians. */
export interface Row {
  scenario: string;
  metric: string;
  unit: string;
  /** The fabric's median; a string when there is no figure (e.g. "n/a (not built yet)"). */
  fabric: number | string;
  /** Twin name → median. */
  twins: Record<string, number | string>;
  /** Fabric / twin ratio for the twins named here (higher is better for throughput). */
  ratios?: Record<string, number>;
  /** Targets of the issue, reported, not asserted. */
  targets?: { name: string; pass: boolean }[];
  /** Anything else worth keeping: every repeat's figures, losses, counters. */
  detail?: unknown;
  note?: string;
}

export function fmt(v: number | string | undefined, unit = ''): string {
  if (v === undefined) return '-';
  if (typeof v === 'string') return v;
  if (!Number.isFinite(v)) return String(v);
  if (unit === 'ms') return v < 10 ? v.toFixed(2) : v.toFixed(1);
  if (Math.abs(v) >= 1e6) return `${(v / 1e6).toFixed(2)} M`;
  if (Math.abs(v) >= 1e4) return `${(v / 1e3).toFixed(1)} k`;
  if (Math.abs(v) >= 100) return v.toFixed(0);
  return v.toFixed(1);
}

export function renderTable(rows: readonly Row[]): string {
  const head = ['scenario', 'metric', 'fabric', 'raw twins', 'fabric / twin', 'targets'];
  const body = rows.map((r) => [
    r.scenario,
    `${r.metric}${r.unit ? ` (${r.unit})` : ''}`,
    fmt(r.fabric, r.unit),
    Object.entries(r.twins)
      .map(([k, v]) => `${k} ${fmt(v, r.unit)}`)
      .join('; ') || '-',
    Object.entries(r.ratios ?? {})
      .map(([k, v]) => `${(v * 100).toFixed(0)}% of ${k}`)
      .join('; ') || '-',
    (r.targets ?? []).map((t) => `${t.pass ? 'PASS' : 'FAIL'} ${t.name}`).join('; ') || '-',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`;
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
