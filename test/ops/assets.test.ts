// examples/ops: every metric the Grafana dashboard and the Prometheus alert rules name exists in what a control
// plane and an edge export on /metrics (scraped live here), and both files have the shape their tools read.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { startControlPlane } from '@hubspoke/control-plane';
import { startEdgeNode } from '@hubspoke/edge-node';
import { testLog } from '../fixtures/fabric.js';
import { startNatsServer } from '../helpers/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };
/** Prometheus's own series and functions' words that look like metric names. */
const BUILTIN = new Set(['up']);

/** The series names of an exposition: `# TYPE` lines, histograms with their _bucket/_sum/_count. */
function exported(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [name, type] = [m[1] as string, m[2] as string];
    out.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) out.add(name + s);
  }
  return out;
}

/** Metric names in a PromQL expression (identifiers of our prefixes, and `up`). */
function named(expr: string): string[] {
  return [...expr.matchAll(/\b(hubspoke_[a-z0-9_]+|nodejs_[a-z0-9_]+|process_[a-z0-9_]+|up)\b(?!\s*\()/g)].map(
    (m) => m[1] as string,
  );
}

test('the dashboard and the alert rules name only metrics that /metrics exports', async () => {
  await using hub = await startNatsServer({ domain: 'hub' });
  const cp = await startControlPlane({ natsUrl: hub.url, log: testLog(), metrics: {} });
  const edge = await startEdgeNode({
    natsUrl: hub.url,
    edgeId: 'ops-1',
    namespace: 'eu',
    log: testLog(),
    metrics: {},
    stateDir: join(hub.dir, 'ops-1'),
  });
  let names: Set<string>;
  try {
    const texts = await Promise.all(
      [cp.metrics?.address, edge.metrics?.address].map(async (a) => (await fetch(`http://${a}/metrics`)).text()),
    );
    names = new Set(texts.flatMap((t) => [...exported(t)]));
  } finally {
    await edge.close();
    await cp.close();
  }
  assert.ok(names.has('hubspoke_edges') && names.has('hubspoke_outbox_depth'), 'both nodes were scraped');

  const rules = yaml.load(readFileSync(join(ROOT, 'examples/ops/prometheus-alerts.yml'), 'utf8')) as {
    groups: {
      name: string;
      rules: { alert: string; expr: string; labels: { severity: string }; annotations: { summary: string } }[];
    }[];
  };
  const dashboard = JSON.parse(readFileSync(join(ROOT, 'examples/ops/grafana-dashboard.json'), 'utf8')) as {
    title: string;
    uid: string;
    panels: { id: number; title: string; targets: { expr: string }[] }[];
  };
  const exprs: [string, string][] = [
    ...rules.groups.flatMap((g) => g.rules.map((r) => [`alert ${r.alert}`, r.expr] as [string, string])),
    ...dashboard.panels.flatMap((p) => p.targets.map((t) => [`panel ${p.title}`, t.expr] as [string, string])),
  ];
  assert.ok(exprs.length > 20);
  const missing: string[] = [];
  const used = new Set<string>();
  for (const [where, expr] of exprs) {
    const n = named(expr);
    assert.ok(n.length > 0, `${where}: names no metric (${expr})`);
    for (const m of n) {
      used.add(m);
      if (!names.has(m) && !BUILTIN.has(m)) missing.push(`${where}: ${m}`);
    }
  }
  assert.deepEqual(missing, [], 'metrics named in examples/ops that /metrics does not export');
  for (const s of exprs.flatMap(([, e]) => [...e.matchAll(/state="([^"]+)"/g)].map((m) => m[1])))
    assert.ok(['online', 'stale', 'offline'].includes(s as string), `state="${s}" is a state the registry has`);

  for (const g of rules.groups)
    for (const r of g.rules) {
      assert.match(r.alert, /^Hubspoke[A-Za-z]+$/);
      assert.ok(['critical', 'warning', 'info'].includes(r.labels.severity), `${r.alert}: severity`);
      assert.ok(r.annotations.summary.length > 0, `${r.alert}: summary`);
    }
  assert.equal(dashboard.uid, 'hubspoke-overview');
  assert.equal(new Set(dashboard.panels.map((p) => p.id)).size, dashboard.panels.length, 'panel ids are unique');
  // The dashboard covers the fabric's own families, not only process metrics.
  for (const family of [
    'hubspoke_edges',
    'hubspoke_events_',
    'hubspoke_payloads_',
    'hubspoke_config_',
    'hubspoke_schedule_',
  ])
    assert.ok(
      [...used].some((u) => u.startsWith(family)),
      `${family} is shown or alerted on`,
    );
});
