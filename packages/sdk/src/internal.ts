// For hubspoke's own runtimes: not part of the plugin author's API, and may change between minor versions.
export { assertMetadata, assertPayloadSize } from './validate.js';
export { ENVELOPE_OVERHEAD_BYTES } from './limits.js';
export { descriptors } from './gen/descriptors.js';
export {
  HOST_SERVICE,
  PLUGIN_ENV,
  PLUGIN_PROTOCOL,
  PLUGIN_SERVICE,
  bearer,
  bearerToken,
  callUnary,
  fromServiceError,
  hasToken,
  serviceDefinition,
  toStatus,
  tokensEqual,
  unary,
} from './remote/rpc.js';
export {
  GRPC_STATUS_OF_CODE,
  GrpcStatus,
  MAX_STATUS_DETAILS,
  clip,
  codeOfStatus,
  parseStatusDetails,
  statusOfError,
} from './remote/status.js';
export { CAPABILITY, edgeInfoToWire, fromJson, toJson } from './remote/wire.js';
export { GATEWAY_HOOKS, decodeGateway, encodeGateway, gatewayHooksOf, wireArgument } from './remote/gateway-wire.js';
export type { GatewayHook } from './remote/gateway-wire.js';
export type {
  WireConfigChange,
  WireConfigEntry,
  WireConfigKey,
  WireConfigList,
  WireConfigPut,
  WireEdgeInfo,
  WireEnvelope,
  WireEventDelivery,
  WireInitialize,
  WireKvPut,
  WireLog,
  WireManifest,
  WireObjectChange,
  WireObjectChangeReply,
  WirePayloadDelivery,
  WirePublish,
  WireRegister,
  WireSchedule,
  WireScheduledTask,
  WireSendToControl,
  WireSubscribe,
} from './remote/wire.js';
