import { AdminClient, type ReplayProgress } from '@hubspoke/control-plane';
import { isName } from '@hubspoke/sdk';
import {
  ADMIN_FLAG,
  FILTER_FLAGS,
  adminClient,
  adminConnectionOf,
  filterOf,
  flagTable,
  noPositionals,
  parseFlags,
  toJson,
  usageError,
  usageIfRefused,
  type FlagDef,
} from './admin-flags.js';

const FLAGS: Record<string, FlagDef> = {
  ...ADMIN_FLAG,
  ...FILTER_FLAGS,
  plugin: { kind: 'string', arg: 'P', help: 'offer to this receiver only (default: every receiver, in load order)' },
  'dry-run': { kind: 'boolean', help: 'count what would be offered; offer nothing, change nothing' },
  json: { kind: 'boolean', help: 'print the last progress message as JSON instead of the summary line' },
};

/** `hubspoke replay --help`. */
export function replayUsage(): string {
  return (
    'Usage: hubspoke replay --admin ADDR [--edge ID] [--namespace NS] [--since T] [--until T] [--correlation-id C]\n' +
    '                       [--plugin P] [--dry-run] [--json]\n\n' +
    'Offers the payloads kept at the hub that match again to the receivers of the control plane at ADDR. Each\n' +
    'copy has a new id and carries replay: { of: <original id>, at } so receivers can tell; it is offered once\n' +
    '(a failure is reported, not retried or dead-lettered). A progress bar goes to stderr when it is a terminal.\n' +
    'Exit code 1 when a copy failed or the replay stopped early; Ctrl-C cancels it at the control plane.\n\n' +
    flagTable(FLAGS)
  );
}

/** The last line of a replay. */
export function replaySummary(p: ReplayProgress): string {
  if (p.dryRun) return `replay: would offer ${p.matched}`;
  return `replay: matched ${p.matched}, offered ${p.offered}, handled ${p.handled}, failed ${p.failed}`;
}

/** One progress line: a bar of `width` cells when `bar`, else plain counts. */
export function progressLine(p: ReplayProgress, bar: boolean, width = 24): string {
  const counts = p.dryRun
    ? `scanned ${p.scanned}/${p.total}, matched ${p.matched}`
    : `scanned ${p.scanned}/${p.total}, matched ${p.matched}, handled ${p.handled}, failed ${p.failed}`;
  if (!bar) return `replay: ${counts}`;
  const frac = p.total > 0 ? Math.min(1, p.scanned / p.total) : p.done ? 1 : 0;
  const full = Math.round(frac * width);
  return `[${'#'.repeat(full)}${'-'.repeat(width - full)}] ${String(Math.floor(frac * 100)).padStart(3)}%  ${counts}`;
}

const MAX_FAILURE_LINES = 20;

/** `hubspoke replay`. */
export async function replayCommand(argv: readonly string[], env = process.env): Promise<number> {
  const f = parseFlags('replay', argv, FLAGS);
  if (f.help) {
    process.stdout.write(replayUsage());
    return 0;
  }
  noPositionals(f);
  const conn = adminConnectionOf(f, env);
  const filter = filterOf(f, Date.now());
  const plugin = f.strings.get('plugin');
  if (plugin !== undefined && !isName(plugin))
    throw usageError(`--plugin: ${JSON.stringify(plugin)} is not a valid plugin name`);
  const dryRun = f.booleans.has('dry-run');
  const json = f.booleans.has('json');
  const tty = process.stderr.isTTY === true;
  const admin = adminClient(conn);
  const ac = new AbortController();
  const onSigint = (): void => ac.abort();
  process.once('SIGINT', onSigint);
  let last: ReplayProgress | undefined;
  let failureLines = 0;
  let printedAt = 0;
  try {
    for await (const p of admin.replay({ filter, dryRun, ...(plugin ? { plugin } : {}) }, ac.signal)) {
      last = p;
      for (const x of p.failures) {
        if (failureLines++ < MAX_FAILURE_LINES) {
          const who = x.plugin ? `${x.plugin}: ` : '';
          process.stderr.write(
            `${tty ? '\r\u001b[K' : ''}failed: payload ${x.payloadId} (seq ${x.streamSeq}): ${who}${x.reason}\n`,
          );
        }
      }
      if (tty) process.stderr.write(`\r\u001b[K${progressLine(p, true)}${p.done ? '\n' : ''}`);
      else if (p.done || Date.now() - printedAt >= 1000) {
        printedAt = Date.now();
        process.stderr.write(`${progressLine(p, false)}\n`);
      }
    }
  } catch (err) {
    if (!ac.signal.aborted) throw usageIfRefused(err);
  } finally {
    process.off('SIGINT', onSigint);
    admin.close();
  }
  if (failureLines > MAX_FAILURE_LINES)
    process.stderr.write(`… and ${failureLines - MAX_FAILURE_LINES} more failures\n`);
  if (!last) return 1;
  if (ac.signal.aborted && !last.done) process.stderr.write('replay: cancelled\n');
  else if (last.error) process.stderr.write(`replay stopped: ${last.error}\n`);
  process.stdout.write(json ? `${toJson(last)}\n` : `${replaySummary(last)}\n`);
  return last.failed > 0 || last.error || !last.done ? 1 : 0;
}
