export { startEdgeNode, edgeNodeOptionsSchema } from './edge-node.js';
export type { EdgeNode, EdgeNodeOptions } from './edge-node.js';
export { startManagedLeaf } from './leaf.js';
export type { ManagedLeaf, ManagedLeafOptions } from './leaf.js';
