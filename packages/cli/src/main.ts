#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { ErrorCode, isHubspokeError } from '@hubspoke/sdk';
import { authCommand } from './commands/auth.js';
import { configCommand } from './commands/config.js';
import { contextCommand } from './commands/context.js';
import { newCommand } from './commands/new.js';
import { errorReport } from './errors.js';
import { controlCommand } from './commands/control.js';
import { devCommand } from './commands/dev.js';
import { dlqCommand } from './commands/dlq.js';
import { edgeCommand } from './commands/edge.js';
import { edgesCommand } from './commands/edges.js';
import { payloadsCommand } from './commands/payloads.js';
import { replayCommand } from './commands/replay.js';
import { mainUsage } from './usage.js';

const NOT_YET = new Set<string>([]);

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function run(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'control':
      return controlCommand(rest);
    case 'edge':
      return edgeCommand(rest);
    case 'dev':
      return devCommand(rest);
    case 'payloads':
      return payloadsCommand(rest);
    case 'replay':
      return replayCommand(rest);
    case 'dlq':
      return dlqCommand(rest);
    case 'edges':
      return edgesCommand(rest);
    case 'auth':
      return authCommand(rest);
    case 'config':
      return configCommand(rest);
    case 'context':
      return contextCommand(rest);
    case 'new':
      return newCommand(rest);
    case '--version':
    case '-v':
      process.stdout.write(`${version()}\n`);
      return 0;
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(mainUsage());
      return 0;
    case undefined:
      process.stderr.write(mainUsage());
      return 2;
    default:
      process.stderr.write(
        NOT_YET.has(command)
          ? `hubspoke ${command} is not available yet in this version\n`
          : `hubspoke: unknown command ${JSON.stringify(command)}\n\n${mainUsage()}`,
      );
      return 2;
  }
}

/** Exit codes: 0 done, 1 failed at run time, 2 bad usage or configuration. */
function exitCodeOf(err: unknown): number {
  return isHubspokeError(err, ErrorCode.ConfigInvalid) || isHubspokeError(err, ErrorCode.NotSupported) ? 2 : 1;
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (err) {
  process.stderr.write(errorReport(err, process.argv[2], process.env));
  process.exitCode = exitCodeOf(err);
}
// Nodes are closed by now; a stray handle (a library timer, a socket) must not keep the process alive. But
// writes to a pipe are asynchronous: let stdout and stderr drain first, or a reader gets a cut-off output.
await Promise.all([process.stdout, process.stderr].map((s) => new Promise<void>((r) => s.write('', () => r()))));
process.exit();
