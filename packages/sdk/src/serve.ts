// `@hubspoke/sdk/serve`: runs a plugin as its own process, for a host that starts it (`{ command }` in a node's
// plugins) or attaches to it (`{ address, token }`). Apart from the main entry because it loads gRPC.
export { serve } from './remote/serve.js';
export type { ServeOptions, ServedPlugin } from './remote/serve.js';
