import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { startNatsServer, waitFor } from '../helpers/index.js';

const MAIN = fileURLToPath(new URL('../../packages/cli/dist/main.js', import.meta.url));

test('hubspoke control --console ADDR --admin-token-file F serves the console behind that token', async () => {
  await using hub = await startNatsServer({ domain: 'hub' });
  const dir = await mkdtemp(join(tmpdir(), 'hubspoke-console-cli-'));
  const tokenFile = join(dir, 'admin.token');
  await writeFile(tokenFile, 'a-token-from-a-file-0123\n');
  const child = spawn(
    process.execPath,
    [
      MAIN,
      'control',
      '--nats',
      hub.url,
      '--console',
      '127.0.0.1:0',
      '--admin-token-file',
      tokenFile,
      '--log-level',
      'silent',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  try {
    const url = await waitFor(() => /ops console on (http:\/\/127\.0\.0\.1:\d+)\//.exec(err)?.[1], {
      timeoutMs: 15000,
      message: err,
    });
    assert.equal((await fetch(`${url}/api/edges`)).status, 401);
    const login = (token: string) =>
      fetch(`${url}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token }),
      });
    assert.equal((await login('a-token-from-a-file-0123\n')).status, 401, 'the file is trimmed');
    assert.equal((await login('a-token-from-a-file-0123')).status, 200);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    await rm(dir, { recursive: true, force: true });
  }
});
