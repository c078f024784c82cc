// The six-hook bench plugin in a process of its own (one gRPC stream to the edge).
import { serve } from '@hubspoke/sdk/serve';
import { SixHooks } from './six-hooks.js';

await serve(new SixHooks('six-oop'));
