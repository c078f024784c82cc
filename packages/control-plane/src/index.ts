export { startControlPlane, controlPlaneOptionsSchema } from './control-plane.js';
export type { ControlPlane, ControlPlaneOptions } from './control-plane.js';
export { AdminClient } from './admin/client.js';
export { adminTokenMatches, generateAdminToken } from './admin/token.js';
export { readEdgeRegistry, forgetEdge } from './registry/reader.js';
export type { EdgesHandle } from './registry/setup.js';
export type { RegistryCounters } from './registry/registry.js';
export type { AdminClientOptions } from './admin/client.js';
export type {
  DeadLetter,
  DeadLetterFilter,
  DropReply,
  DropRequest,
  GetPayloadReply,
  GetPayloadRequest,
  ListDeadLettersReply,
  ListDeadLettersRequest,
  ListPayloadsReply,
  ListPayloadsRequest,
  PayloadFilter,
  PayloadInfo,
  RedriveReply,
  RedriveRequest,
  Redriven,
  ReplayFailure,
  ReplayProgress,
  ReplayRequest,
} from './admin/types.js';
export type { ConfigObject } from './admin/client.js';
export { CONFIG_BUCKET } from './config/store.js';
export type { ConfigCounters } from './config/store.js';
