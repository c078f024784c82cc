import { readFileSync } from 'node:fs';
import type { SettingsInput } from '../settings.js';

/** The real process's flags, environment, cwd and file system, for `resolveSettings`. */
export function processInput(argv: readonly string[]): SettingsInput {
  return { argv, env: process.env, cwd: process.cwd(), readFile: (p) => readFileSync(p, 'utf8') };
}

/** Something that stops cleanly. */
export interface Closable {
  close(): Promise<void>;
}

/**
 * Resolves on the first of `signals`. A second signal while stopping exits at once with 130, so that a
 * stuck shutdown can always be cut short.
 */
export function shutdownSignal(signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM']): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let seen = false;
    const on = (sig: NodeJS.Signals): void => {
      if (seen) {
        process.stderr.write(`hubspoke: ${sig} again, exiting without waiting\n`);
        process.exit(130);
      }
      seen = true;
      resolve(sig);
    };
    for (const sig of signals) process.on(sig, on);
  });
}

/**
 * Starts a node, runs it until SIGINT or SIGTERM, then awaits its `close()`. A signal that arrives while the
 * node is still starting stops it as soon as it is up. Resolves to the exit code.
 */
export async function runUntilSignal(start: () => Promise<Closable>): Promise<number> {
  let starting = true;
  const signal = shutdownSignal().then((sig) => {
    if (starting) process.stderr.write(`hubspoke: ${sig}: stopping once start-up ends (again to exit now)\n`);
    return sig;
  });
  const node = await start().finally(() => (starting = false));
  await signal;
  await node.close();
  return 0;
}
