#!/usr/bin/env node
// The `hubspoke` command: runs the built CLI (dist/). It exists before any build, so that npm links it at
// install time; in a checkout not built yet it says how to build instead of failing obscurely.
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(
    `HS_ERR_NOT_SUPPORTED: hubspoke is not built (${main.pathname} is missing)\n` +
      '  hint: in the hubspoke folder run npm run build (npm install builds it too, through prepare)\n',
  );
  process.exit(1);
}
await import(main.href);
