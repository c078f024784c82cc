#!/usr/bin/env node
// Runs every test file (unit tests beside the code, integration and fault tests in test/) with node:test
// through tsx. The runner's own summary (`# pass N` / `# fail N`) is the last thing printed, for CI.
// Arguments narrow the run to files whose path contains any of them: `npm test -- routing kv`.
//
// Not --test-force-exit: with it, node:test drops the verdicts of tests that ran, at random, and still exits 0
// (nodejs/node#64833; seen here: a CI run under load reported 642 tests of 651, the tail of one file missing,
// "# fail 0"). A test file that leaves a node, a server or a timer running would then keep the run from ending:
// a watchdog ends such a run instead, red, naming the cause (HUBSPOKE_TEST_WATCHDOG_MIN, default 30 minutes).
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const roots = ['test', 'packages'];

function find(dir, out) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) find(p, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

const filters = process.argv.slice(2);
const files = roots
  .flatMap((r) => find(join(root, r), []))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
// Its own process group, so that the watchdog (or a Ctrl-C) ends every test file's process with it.
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', ...files], {
  cwd: root,
  stdio: 'inherit',
  detached: true,
});
const killAll = (signal) => {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
};
const minutes = Number(process.env.HUBSPOKE_TEST_WATCHDOG_MIN ?? 30);
const watchdog = setTimeout(() => {
  killAll('SIGKILL');
  console.log(
    `# watchdog: the test run did not end within ${minutes} minutes: a test file left something running ` +
      '(a node, a server, a timer) or a test hangs; look for the last file that started and did not end',
  );
  console.log('# fail 1');
  process.exit(1);
}, minutes * 60_000);
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => killAll(signal));
child.on('exit', (code, signal) => {
  clearTimeout(watchdog);
  process.exit(code ?? (signal ? 1 : 0));
});
