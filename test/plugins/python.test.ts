import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { startControlPlane } from '@hubspoke/control-plane';
import { startEdgeNode } from '@hubspoke/edge-node';
import { Direction } from '@hubspoke/sdk';
import { testLog } from '../fixtures/fabric.js';
import { Recorder } from '../fixtures/recorder.js';
import { startNatsServer, waitFor } from '../helpers/index.js';

// The Python example plugin (examples/python-plugin) end to end: stubs generated now by Debian's protoc and
// grpc_python_plugin, the plugin started by a control plane, an edge's Up event answered by a Down one.
// Missing packages fail this test (.ci/run installs them); it never skips.
const example = fileURLToPath(new URL('../../examples/python-plugin/', import.meta.url));
const python = process.env['HUBSPOKE_PYTHON'] ?? '/usr/bin/python3';

test('a Python plugin subscribes to an Up event and publishes a Down one', async () => {
  try {
    execFileSync(python, ['-c', 'import grpc, google.protobuf'], { stdio: 'pipe' });
  } catch (err) {
    assert.fail(
      `${python} cannot import grpc and protobuf (apt-get install python3-grpcio python3-protobuf): ${String(err)}`,
    );
  }
  const stubs = await mkdtemp(join(tmpdir(), 'hubspoke-py-'));
  await using hub = await startNatsServer({ domain: 'hub' });
  try {
    execFileSync(join(example, 'gen_stubs.sh'), [stubs], { stdio: 'pipe' });
    const cp = await startControlPlane({
      natsUrl: hub.url,
      log: testLog(),
      plugins: [{ command: [python, join(example, 'plugin.py')], env: { PYTHONPATH: stubs } }],
    });
    const rec = new Recorder('rec', 'sensor.ack');
    const edge = await startEdgeNode({
      natsUrl: hub.url,
      log: testLog(),
      edgeId: 'edge-py',
      namespace: 'lab',
      stateDir: join(stubs, 'edge'),
      plugins: [rec],
    });
    try {
      assert.deepEqual(
        cp.node.host.list().map((h) => [h.name, h.plugin.info.version]),
        // hubspoke-gateway: the built-in receiver of gateway telemetry, first on every control plane.
        [
          ['hubspoke-gateway', '1.0.0'],
          ['py-ack', '1.0.0'],
        ],
      );
      const id = await edge.events.publish('sensor.reading', { celsius: 21.5 }, Direction.Up, {
        correlationId: 'reading-1',
      });
      const ack = await waitFor(() => rec.events.find((e) => e.topic === 'sensor.ack'), { timeoutMs: 20_000 });
      assert.deepEqual(ack.payload, { ack: id, reading: { celsius: 21.5 }, by: 'python' });
      assert.equal(ack.origin, 'plugin:py-ack@control', 'the host gave the identity');
      assert.equal(ack.correlationId, 'reading-1');
      assert.equal(ack.causationId, id);
      assert.equal(ack.edgeId, 'edge-py', 'addressed to the sending edge');
    } finally {
      await edge.close();
      await cp.close();
    }
  } finally {
    await rm(stubs, { recursive: true, force: true });
  }
});
