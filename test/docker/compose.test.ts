// docker-compose.yml, the Dockerfile and .dockerignore. With docker compose on the machine, `docker compose
// config` must accept the file. Without it (as on the machines this was written on: no Docker engine, no compose
// plugin), the YAML is parsed with js-yaml and its structure checked against what the issue asks for, and every
// HUBSPOKE_* variable it sets against the CLI's own settings table. Neither builds the image.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { SETTINGS } from '@hubspoke/cli';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };

interface Service {
  image?: string;
  build?: unknown;
  entrypoint?: string[];
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  restart?: string;
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
}
interface Compose {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

function composeAvailable(): Promise<boolean> {
  return new Promise((resolve) =>
    execFile('docker', ['compose', 'version'], { timeout: 5000 }, (err) => resolve(!err)),
  );
}

test('docker compose config accepts docker-compose.yml (when docker compose exists)', async (t) => {
  if (!(await composeAvailable())) {
    t.diagnostic('docker compose is not installed here: the structure test below checks the file instead');
    return;
  }
  const r = await new Promise<{ code: number; err: string }>((resolve) =>
    execFile('docker', ['compose', 'config', '-q'], { cwd: ROOT, timeout: 30_000 }, (err, _o, stderr) =>
      resolve({ code: err ? 1 : 0, err: stderr }),
    ),
  );
  assert.equal(r.code, 0, r.err);
});

test('docker-compose.yml: auth on, admin and metrics ports, mounted plugins, capped restarts, healthchecks', () => {
  const c = yaml.load(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as Compose;
  const s = c.services;
  assert.deepEqual(Object.keys(s).sort(), ['auth', 'control', 'edge-eu', 'edge-us', 'hub']);
  const known = new Set([
    ...Object.values(SETTINGS).flatMap((defs) => defs.map((d) => d.env)),
    'HUBSPOKE_CONFIG',
    'HUBSPOKE_ADMIN_TOKEN',
  ]);
  for (const [name, svc] of Object.entries(s)) {
    for (const k of Object.keys(svc.environment ?? {}))
      assert.ok(known.has(k), `${name}: ${k} is no setting of the CLI`);
    for (const dep of Object.keys(svc.depends_on ?? {})) assert.ok(s[dep], `${name} depends on unknown ${dep}`);
    for (const v of svc.volumes ?? []) {
      const [from] = v.split(':') as [string];
      if (!from.startsWith('.')) assert.ok(from in c.volumes, `${name}: volume ${from} is declared`);
      else assert.ok(existsSync(join(ROOT, from)), `${name}: ${from} exists in the repository`);
    }
    if (name === 'auth') {
      assert.equal(svc.restart, 'no', 'the one-shot auth service is not restarted');
      continue;
    }
    const m = /^on-failure:(\d+)$/.exec(svc.restart ?? '');
    assert.ok(m && Number(m[1]) >= 1 && Number(m[1]) <= 10, `${name}: restart on-failure with a cap (${svc.restart})`);
    assert.ok(
      svc.healthcheck?.test || svc.image === 'hubspoke:local',
      `${name}: a healthcheck (its own or the image's)`,
    );
    for (const p of svc.ports ?? [])
      assert.match(p, /^127\.0\.0\.1:/, `${name}: port ${p} published on localhost only`);
  }
  assert.ok(s['hub']?.healthcheck?.test?.join(' ').includes('/healthz'));
  assert.match(readFileSync(join(ROOT, 'examples/docker/hub.conf'), 'utf8'), /^include \.\/auth\/auth\.conf$/m);
  assert.match(s['auth']?.command?.join(' ') ?? '', /hubspoke auth init --dir \/auth/);

  const control = s['control'] as Service;
  assert.deepEqual(control.command, ['control']);
  assert.ok(
    control.ports?.some((p) => p.endsWith(':7411')),
    'admin API port',
  );
  assert.ok(
    control.ports?.some((p) => p.endsWith(':9464')),
    'metrics port',
  );
  assert.equal(control.environment?.['HUBSPOKE_ADMIN_TOKEN_FILE'], '/auth/admin.token');
  assert.equal(control.environment?.['HUBSPOKE_CREDS'], '/auth/control.nk');
  assert.equal(control.depends_on?.['hub']?.condition, 'service_healthy');
  for (const e of ['edge-eu', 'edge-us']) {
    const svc = s[e] as Service;
    const id = svc.environment?.['HUBSPOKE_EDGE_ID'] as string;
    assert.equal(svc.environment?.['HUBSPOKE_CREDS'], `/auth/edges/${id}.nk`, `${e}: its own credentials`);
    assert.match(svc.environment?.['HUBSPOKE_LEAF_HUB'] ?? '', /^nats-leaf:\/\/hub:7422$/, `${e}: its own leaf`);
    assert.ok(svc.volumes?.includes('./plugins:/app/plugins:ro'), `${e}: the plugin folder is mounted`);
    assert.match(s['auth']?.command?.join(' ') ?? '', new RegExp(`edge add ${id} --namespace`), `${e} is issued`);
  }
  for (const svc of Object.values(s))
    for (const p of (svc.environment?.['HUBSPOKE_PLUGINS'] ?? '').split(',').filter(Boolean))
      if (p.startsWith('/app/examples/'))
        assert.ok(existsSync(join(ROOT, p.slice('/app/'.length))), `${p} exists in the repository`);
});

test('Dockerfile: nats-server in the image, a HEALTHCHECK, an install that does not need the sources; .dockerignore', () => {
  const d = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  assert.match(d, /^COPY --from=nats \/nats-server \/usr\/local\/bin\/nats-server$/m);
  assert.match(d, /^HEALTHCHECK /m);
  assert.match(d, /healthz/);
  assert.match(d, /npm ci [^\n]*--ignore-scripts/, 'the root prepare (tsc -b) would run before the sources are copied');
  assert.match(d, /^USER node$/m);
  const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
  for (const p of ['**/node_modules', '**/dist', '.git']) assert.ok(ignore.includes(p), `.dockerignore lists ${p}`);
});
