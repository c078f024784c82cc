// The gateway hooks conformance suite (conformance.ts), in process and out of process.
import { fileURLToPath } from 'node:url';
import { ConfPlugin } from '../fixtures/remote/gateway-plugin.js';
import { gatewayConformance } from './conformance.js';

const fixture = fileURLToPath(new URL('../fixtures/remote/gateway-plugin.ts', import.meta.url));

gatewayConformance('in process', () => new ConfPlugin());
gatewayConformance('out of process', () => ({ command: [process.execPath, '--import', 'tsx', fixture] }));
