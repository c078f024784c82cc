export { Direction, DirLocal, DirUp, DirDown, Runtime, directionName } from './direction.js';
export { ErrorCode, HubspokeError, isHubspokeError } from './errors.js';
export { DEFAULT_LIMITS } from './limits.js';
export { assertName, assertTopic, assertTopicPattern, isName, isTopic } from './names.js';
export { BasePlugin, capabilities } from './plugin.js';
export {
  CONTENT_TYPE_BYTES,
  CONTENT_TYPE_JSON,
  EnvelopeEncoder,
  appendEnvelopeFields,
  decodeEnvelope,
  encodeEnvelope,
} from './envelope.js';
export { toCloudEvent, fromCloudEvent, eventToEnvelope } from './cloudevents.js';

export type { Limits } from './limits.js';
export type { NameKind } from './names.js';
export type { Envelope, EnvelopeMessage, DecodeOptions } from './envelope.js';
export type { CloudEvent } from './cloudevents.js';
export type { Event, EventHandler, EventsService, PublishOptions, SubscribeOptions } from './events.js';
export type {
  ConfigChange,
  ConfigEntry,
  ConfigScope,
  Context,
  ControlConfigService,
  ControlService,
  EdgeConfigView,
  EdgeInfo,
  EdgeService,
  KVPutOptions,
  KVService,
  Logger,
  PluginInfo,
  SendOptions,
  SendResult,
  Services,
} from './services.js';
export type {
  ConfigChangeHandler,
  ConfigProvider,
  EdgePayload,
  EdgePayloadReceiver,
  Manifest,
  ManifestProvider,
  ObjectChange,
  ObjectHookHandler,
  ObjectHookResult,
  Plugin,
  Schedule,
  ScheduledRun,
  SchedulerPlugin,
  SessionAware,
  UIAsset,
  UIManifest,
  UIPage,
  UIProvider,
} from './plugin.js';
export type {
  Analytics,
  App,
  AuthRequest,
  AuthResult,
  AuthenticatedRequest,
  BudgetUsage,
  EndpointResponse,
  EndpointSpec,
  GatewayRequest,
  HookBody,
  HookHeaders,
  PluginResponse,
  ProxyLog,
  ResponseChunk,
  ResponseHeadersChange,
  ResponseHeadersInfo,
  StreamCompleteInfo,
  User,
} from './gateway/types.js';
export type {
  AuthHandler,
  CustomEndpointHandler,
  DataCollector,
  PostAuthHandler,
  PreAuthHandler,
  ResponseHandler,
  StreamCompleteHandler,
} from './gateway/capabilities.js';
