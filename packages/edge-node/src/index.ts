export { startEdgeNode, edgeNodeOptionsSchema } from './edge-node.js';
export type { EdgeNode, EdgeNodeOptions } from './edge-node.js';
