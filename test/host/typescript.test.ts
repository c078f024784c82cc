// A .ts plugin given by path loads under plain Node 20 (no loader): through tsx, found from the working folder.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test('a .ts plugin loads by path in a node process started without a TypeScript loader', async () => {
  const script =
    "const { loadPlugins } = await import('@hubspoke/runtime');" +
    "const [p] = await loadPlugins(['test/fixtures/plugins/typed-plugin.ts']);" +
    'console.log(JSON.stringify(p.plugin.info));';
  const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(
      process.execPath,
      ['--input-type=module', '-e', script],
      {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
        // No tsx in NODE_OPTIONS or execArgv: plain node, as `hubspoke` runs.
        env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NODE_'))),
      },
      (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }),
    ),
  );
  assert.equal(out.code, 0, out.stderr);
  assert.deepEqual(JSON.parse(out.stdout), { name: 'typed-plugin', version: '0.0.1' });
});
