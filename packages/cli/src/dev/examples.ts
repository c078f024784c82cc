import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCode, HubspokeError } from '@hubspoke/sdk';

/** The example plugins `hubspoke dev` runs. */
export interface ExamplePlugins {
  readonly dir: string;
  readonly control: string;
  readonly edge: string;
}

/**
 * Finds `examples/cache-sync/`: under `HUBSPOKE_EXAMPLES_DIR` when set, else in the repository this CLI was
 * built in. This file sits at `packages/cli/{src,dist}/dev/`, so the repository root is four levels up,
 * whether it runs compiled or through tsx, and wherever the command is run from.
 */
export function resolveExamples(env: Readonly<Record<string, string | undefined>>): ExamplePlugins {
  const root = env['HUBSPOKE_EXAMPLES_DIR']
    ? resolve(env['HUBSPOKE_EXAMPLES_DIR'])
    : fileURLToPath(new URL('../../../../examples/', import.meta.url));
  const dir = resolve(root, 'cache-sync');
  const found = { dir, control: resolve(dir, 'cache-control.js'), edge: resolve(dir, 'cache-edge.js') };
  for (const file of [found.control, found.edge]) {
    if (!existsSync(file)) {
      throw new HubspokeError(
        ErrorCode.Plugin,
        `the example plugin ${file} is missing. hubspoke dev runs the examples of the hubspoke repository ` +
          '(git clone, npm ci, npm run build, then node packages/cli/dist/main.js dev); ' +
          'or set HUBSPOKE_EXAMPLES_DIR to a copy of its examples/ folder.',
      );
    }
  }
  return found;
}
