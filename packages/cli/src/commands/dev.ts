import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateAdminToken, startControlPlane, type ControlPlane } from '@hubspoke/control-plane';
import { startEdgeNode, type EdgeNode } from '@hubspoke/edge-node';
import { addEdge, authPaths, initAuthDir, type LogOptions } from '@hubspoke/runtime';
import { ErrorCode, HubspokeError, type Event } from '@hubspoke/sdk';
import { z } from 'zod';
import { resolveExamples } from '../dev/examples.js';
import { curlLines, putDevGatewayConfig, startFakeOpenAI, type FakeOpenAI } from '../dev/gateway.js';
import { FlowObserver, describeFlow, formatFlow } from '../dev/flow.js';
import { findNatsServer, startDevNatsServer, type DevNatsServer } from '../dev/nats-server.js';
import { devUsage } from '../usage.js';
import { shutdownSignal } from './run-node.js';

const devOptionsSchema = z
  .object({
    edges: z.coerce.number().int().min(1).max(8).default(2),
    quiet: z.boolean().default(false),
    leaf: z.boolean().default(true),
    auth: z.boolean().default(true),
    json: z.boolean().default(false),
    durationMs: z.coerce.number().int().min(1).max(86_400_000).optional(),
  })
  .strict();

function parseDevArgs(argv: readonly string[]): z.output<typeof devOptionsSchema> | undefined {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        edges: { type: 'string' },
        quiet: { type: 'boolean' },
        'no-leaf': { type: 'boolean' },
        'no-auth': { type: 'boolean' },
        json: { type: 'boolean' },
        'duration-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    throw new HubspokeError(ErrorCode.ConfigInvalid, `hubspoke dev: ${(err as Error).message}`);
  }
  if (values.help) return undefined;
  const r = devOptionsSchema.safeParse({
    edges: values.edges,
    quiet: values.quiet,
    leaf: values['no-leaf'] !== true,
    auth: values['no-auth'] !== true,
    json: values.json === true,
    durationMs: values['duration-ms'],
  });
  if (!r.success) {
    const flag = (k: PropertyKey | undefined): string => (k === 'durationMs' ? '--duration-ms' : `--${String(k)}`);
    const problems = r.error.issues.map((i) => `${flag(i.path[0])}: ${i.message}`);
    throw new HubspokeError(ErrorCode.ConfigInvalid, `hubspoke dev: ${problems.join('; ')}`);
  }
  return r.data;
}

/** The admin token of a dev run: the auth folder's, else one written beside the logs (read by the hints). */
function devAdminToken(dir: string, authFile: string | undefined): string {
  if (authFile) return readFileSync(authFile, 'utf8').trim();
  const token = generateAdminToken();
  writeFileSync(join(dir, 'admin.token'), `${token}\n`, { mode: 0o600 });
  return token;
}

/** edge-eu-1, edge-us-1, edge-eu-2, …: namespaces alternate. */
function edgePlan(n: number): { edgeId: string; namespace: string }[] {
  return Array.from({ length: n }, (_, i) => {
    const namespace = i % 2 === 0 ? 'eu' : 'us';
    return { edgeId: `edge-${namespace}-${Math.floor(i / 2) + 1}`, namespace };
  });
}

/**
 * `hubspoke dev`: nats-server, a control plane and edges with the example plugins, in a temporary folder;
 * prints one line per event that crosses the fabric, and cleans everything up on Ctrl-C, SIGTERM or
 * `--duration-ms`. If the process dies instead, an 'exit' handler still kills nats-server.
 */
export async function devCommand(argv: readonly string[]): Promise<number> {
  const opts = parseDevArgs(argv);
  if (!opts) {
    process.stdout.write(devUsage());
    return 0;
  }
  // --json: stdout carries one JSON object per flow, everything else goes to stderr.
  const out = (line = ''): boolean => (opts.json ? process.stderr : process.stdout).write(`${line}\n`);
  const examples = resolveExamples(process.env);
  const bin = findNatsServer(process.env);
  const dir = mkdtempSync(join(tmpdir(), 'hubspoke-dev-'));
  let nats: DevNatsServer | undefined;
  let finished = false;
  process.on('exit', () => {
    nats?.killNow();
    if (!finished) process.stderr.write(`hubspoke dev stopped abnormally; nats-server killed; logs kept in ${dir}\n`);
  });
  const stopRequested = shutdownSignal(['SIGINT', 'SIGTERM', 'SIGHUP']);

  const logFile = join(dir, 'hubspoke.log');
  const logStream = createWriteStream(logFile);
  const log: LogOptions = { level: 'info', destination: logStream };
  const color = process.stdout.isTTY === true && !process.env['NO_COLOR'];
  const counts = { up: 0, down: 0, local: 0 };
  const onEvent = (nodeId: string, ev: Event): void => {
    const flow = describeFlow(nodeId, ev);
    if (!flow) return;
    counts[flow.kind]++;
    if (opts.json) process.stdout.write(`${JSON.stringify({ at: new Date().toISOString(), ...flow })}\n`);
    else if (!opts.quiet) out(formatFlow(flow, color));
  };

  let cp: ControlPlane | undefined;
  let upstream: FakeOpenAI | undefined;
  const edges: EdgeNode[] = [];
  let failed = false;
  try {
    const plan = edgePlan(opts.edges);
    // Authorization on by default: the control plane and each edge get their own nkey, each edge only its subjects.
    const auth = opts.auth ? authPaths(join(dir, 'auth')) : undefined;
    if (auth) {
      initAuthDir(auth.dir);
      for (const e of plan) addEdge(auth.dir, e.edgeId, e.namespace);
    }
    nats = await startDevNatsServer(bin, dir, auth ? './auth/auth.conf' : undefined);
    out(`hubspoke dev: a NATS hub, a control plane and ${plan.length} edge(s), all on this machine`);
    out(`  nats-server   pid ${nats.pid}, ${nats.url} (client port ${nats.clientPort}, JetStream domain hub)`);
    out(`                monitoring ${nats.monitorUrl}, leafnodes ${nats.leafUrl}`);
    out(`  temp folder   ${dir} (removed at exit)`);
    out(
      auth
        ? `  auth          on: ${auth.conf} (each edge its own nkey and subjects; leaves log in as their edge)`
        : '  auth          off (--no-auth): any client may do anything',
    );
    out(`  logs          ${logFile} (pino, level info), ${basename(nats.logFile)} beside it`);
    out(`  control       plugin cache-control  (${examples.control})`);
    for (const e of plan)
      out(
        `  ${e.edgeId.padEnd(13)} namespace ${e.namespace}, plugin cache-edge  (${examples.edge})` +
          (opts.leaf
            ? `\n                its own leaf nats-server (JetStream domain edge-${e.edgeId}): outbox and KV`
            : ''),
      );
    out();
    out('Every second each edge looks a key up in its cache; a miss goes Up to the control plane as cache.miss.');
    out('The control plane answers price:* misses with cache.invalidate Down to every edge, and user:* misses Down');
    out("to the asking edge's namespace; the edges evict those keys. One line per event where it arrives.");
    out(`Ctrl-C stops everything${opts.durationMs ? `; stopping by itself after ${opts.durationMs} ms` : ''}.`);
    out();

    const started = Date.now();
    // One token for the admin API and the console's login: the auth folder's, or one written beside the logs.
    const consoleToken = devAdminToken(dir, auth?.adminToken);
    cp = await startControlPlane({
      natsUrl: nats.url,
      plugins: [new FlowObserver(onEvent), examples.control],
      log,
      admin: { listen: '127.0.0.1:0', token: consoleToken },
      console: { listen: '127.0.0.1:0' },
      ...(auth ? { credentials: auth.control } : {}),
    });
    // Each edge serves a gateway in front of a small OpenAI-compatible fake upstream (dev/gateway.ts).
    upstream = await startFakeOpenAI();
    const link = opts.leaf ? { leaf: { hubUrl: nats.leafUrl } } : { natsUrl: nats.url };
    const results = await Promise.allSettled(
      plan.map((e) =>
        startEdgeNode({
          ...link,
          ...e,
          stateDir: join(dir, 'edges', e.edgeId),
          plugins: [new FlowObserver(onEvent), examples.edge],
          log,
          gateway: { listen: '127.0.0.1:0' },
          ...(auth ? { credentials: auth.edge(e.edgeId) } : {}),
        }),
      ),
    );
    for (const r of results) if (r.status === 'fulfilled') edges.push(r.value);
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (rejected) throw rejected.reason;
    out(`ready in ${Date.now() - started} ms`);
    const admin = `--admin ${cp.admin?.address ?? ''} --admin-token ${auth?.adminToken ?? join(dir, 'admin.token')}`;
    const self = /^(main|hubspoke)\.js$/.test(basename(process.argv[1] ?? '')) ? `node ${process.argv[1]}` : 'hubspoke';
    out(`ops console   http://${cp.console?.address ?? ''}/  (log in with the admin token ${consoleToken})`);
    out(`admin API     ${cp.admin?.address} (gRPC, loopback, token required): in another terminal:`);
    out(`  ${self} config set plugin.cache-edge '{"lookupMs":250}' --wait ${admin}`);
    out(
      `  ${self} config set plugin.cache-edge '{"lookupMs":5}' --wait ${admin}   (below the minimum: edges reject it)`,
    );
    out(`  ${self} edges ${admin}   (config applied/latest, errors)`);

    const devKey = await putDevGatewayConfig(cp.config, upstream.url, edges);
    out(`gateways      in front of a fake OpenAI-compatible upstream (${upstream.url}); try:`);
    for (const e of edges) for (const l of curlLines(e.edgeId, e.gateway?.address ?? '', devKey)) out(l);

    let timer: NodeJS.Timeout | undefined;
    const elapsed = new Promise<string>((resolve) => {
      if (opts.durationMs) timer = setTimeout(() => resolve(`${opts.durationMs} ms elapsed`), opts.durationMs);
    });
    const why = await Promise.race([stopRequested, elapsed]);
    clearTimeout(timer);
    out(`\nstopping (${why}): edges, control plane, then nats-server`);
  } catch (err) {
    failed = true;
    process.stderr.write(`hubspoke dev failed: ${(err as Error).message}\n`);
  } finally {
    await Promise.allSettled(edges.map((e) => e.close()));
    await cp?.close().catch(() => undefined);
    await upstream?.close();
    await nats?.stop();
    await new Promise((resolve) => logStream.end(resolve));
  }
  finished = true;
  if (failed) {
    process.stderr.write(`logs kept in ${dir}\n`);
    return 1;
  }
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  out(
    `stopped: ${counts.up} event(s) up, ${counts.down} down, ${counts.local} local; ` +
      `nats-server (pid ${nats?.pid}) stopped; ${dir} removed`,
  );
  return 0;
}
