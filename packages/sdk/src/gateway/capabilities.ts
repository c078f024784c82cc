import type { Context } from '../services.js';
import type {
  Analytics,
  App,
  AuthenticatedRequest,
  AuthRequest,
  AuthResult,
  BudgetUsage,
  EndpointResponse,
  EndpointSpec,
  GatewayRequest,
  PluginResponse,
  ProxyLog,
  ResponseChunk,
  ResponseHeadersChange,
  ResponseHeadersInfo,
  StreamCompleteInfo,
  User,
} from './types.js';

/** Runs first on every request of its routes, before auth: block, or change the request. */
export interface PreAuthHandler {
  handlePreAuth(ctx: Context, req: GatewayRequest): Promise<PluginResponse | void>;
}

/**
 * Authenticates requests of its routes instead of the built-in key auth; the first authenticated answer wins.
 * Answers are cached per credential (negative ones too) until the edge's config changes.
 */
export interface AuthHandler {
  handleAuth(ctx: Context, req: AuthRequest): Promise<AuthResult>;
  getAppByCredential(ctx: Context, credential: string): Promise<App | undefined>;
  getUserByCredential(ctx: Context, credential: string): Promise<User | undefined>;
}

/** Runs after auth, seeing the app and user: block (429 for limits), or change the request. */
export interface PostAuthHandler {
  handlePostAuth(ctx: Context, req: AuthenticatedRequest): Promise<PluginResponse | void>;
}

/** Sees the upstream's answer on its way back: the status and headers once, then every chunk as it arrives. */
export interface ResponseHandler {
  onBeforeWriteHeaders(ctx: Context, res: ResponseHeadersInfo): Promise<ResponseHeadersChange | void>;
  onBeforeWrite(ctx: Context, chunk: ResponseChunk): Promise<{ chunk?: Uint8Array } | void>;
}

/** Told once the last byte of a response went to the client. */
export interface StreamCompleteHandler {
  onStreamComplete(ctx: Context, info: StreamCompleteInfo): Promise<void>;
}

/**
 * Receives telemetry: at the edge, for every request it served; on the control plane, for every edge's requests
 * (they travel batched over the durable payload channel). Each record arrives once at each; a throw is logged.
 */
export interface DataCollector {
  handleProxyLog?(ctx: Context, log: ProxyLog): Promise<void>;
  handleAnalytics?(ctx: Context, analytics: Analytics): Promise<void>;
  handleBudgetUsage?(ctx: Context, usage: BudgetUsage): Promise<void>;
}

/** Serves HTTP endpoints of its own under `/plugins/<plugin name>/`. */
export interface CustomEndpointHandler {
  getEndpoints(): EndpointSpec[];
  handleEndpoint(ctx: Context, req: GatewayRequest & { app?: App }): Promise<EndpointResponse>;
}

function hasFn(p: unknown, name: string): boolean {
  return typeof p === 'object' && p !== null && typeof (p as Record<string, unknown>)[name] === 'function';
}

/** Type guards of the gateway capabilities (no `instanceof`). */
export const gatewayCapabilities = {
  isPreAuthHandler: (p: unknown): p is PreAuthHandler => hasFn(p, 'handlePreAuth'),
  isAuthHandler: (p: unknown): p is AuthHandler => hasFn(p, 'handleAuth'),
  isPostAuthHandler: (p: unknown): p is PostAuthHandler => hasFn(p, 'handlePostAuth'),
  isResponseHandler: (p: unknown): p is ResponseHandler =>
    hasFn(p, 'onBeforeWriteHeaders') || hasFn(p, 'onBeforeWrite'),
  isStreamCompleteHandler: (p: unknown): p is StreamCompleteHandler => hasFn(p, 'onStreamComplete'),
  isDataCollector: (p: unknown): p is DataCollector =>
    hasFn(p, 'handleProxyLog') || hasFn(p, 'handleAnalytics') || hasFn(p, 'handleBudgetUsage'),
  isCustomEndpointHandler: (p: unknown): p is CustomEndpointHandler =>
    hasFn(p, 'getEndpoints') && hasFn(p, 'handleEndpoint'),
  /** Any hook of the request path (what `route.plugins` may list). */
  isRequestPathPlugin: (p: unknown): boolean =>
    hasFn(p, 'handlePreAuth') ||
    hasFn(p, 'handleAuth') ||
    hasFn(p, 'handlePostAuth') ||
    hasFn(p, 'onBeforeWriteHeaders') ||
    hasFn(p, 'onBeforeWrite') ||
    hasFn(p, 'onStreamComplete'),
} as const;
