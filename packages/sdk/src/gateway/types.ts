/** A request as the gateway's hooks see it. Headers are lower-case names with every value kept. */
export interface GatewayRequest {
  /** The request id: also the `x-request-id` response header and in every record of this request. */
  id: string;
  method: string;
  /** The client's path, without the query. */
  path: string;
  /** The query string without `?` (empty when there is none). */
  query: string;
  headers: Record<string, string[]>;
  clientIp: string;
  /** The route's name (`openai` for `route.openai`); `plugins/<name>` for a custom endpoint. */
  route: string;
  /** The request body, read lazily, once (later calls get the same bytes). */
  body(): Promise<Uint8Array>;
}

/** A body a hook gives: bytes, text, or a JSON value. */
export type HookBody = Uint8Array | string | object;

/** Headers a hook gives: each replaces the header of the same name. */
export type HookHeaders = Record<string, string | string[]>;

/** What a request hook answers. */
export interface PluginResponse {
  /** Stop here and answer the client with `statusCode`, `headers` and `body`. */
  block?: boolean;
  /** The status of a block. @default 403 (401 from auth) */
  statusCode?: number;
  /** Headers of a block's answer. */
  headers?: HookHeaders;
  /** Body of a block's answer (`errorMessage` when absent). */
  body?: HookBody;
  /** Set when `request` carries changes to apply before the next hook. */
  modified?: boolean;
  /** Changes to the request: headers replace those of the same name, `path` replaces the path after the route prefix. */
  request?: { headers?: HookHeaders; path?: string; body?: HookBody };
  errorMessage?: string;
}

/** An application, from `app.<id>` config or an AuthHandler. */
export interface App {
  id: string;
  name: string;
  active: boolean;
  metadata: Record<string, unknown>;
}

/** A user, from `user.<id>` config or an AuthHandler. */
export interface User {
  id: string;
  name: string;
  email?: string;
  metadata: Record<string, unknown>;
}

/** What `handleAuth` gets: the credential (the Bearer token, or the whole Authorization value) and the request. */
export interface AuthRequest {
  credential: string;
  request: GatewayRequest;
}

/** What `handleAuth` answers. */
export interface AuthResult {
  authenticated: boolean;
  appId?: string;
  userId?: string;
  claims?: Record<string, string>;
  errorMessage?: string;
}

/** A request after auth: the app (always) and the user (when known). */
export type AuthenticatedRequest = GatewayRequest & { app: App; user?: User };

/** The response headers as `onBeforeWriteHeaders` sees them. */
export interface ResponseHeadersInfo {
  request: GatewayRequest;
  statusCode: number;
  headers: Record<string, string[]>;
}

/** Changes `onBeforeWriteHeaders` makes: a status, and headers replacing those of the same name. */
export interface ResponseHeadersChange {
  statusCode?: number;
  headers?: HookHeaders;
}

/** One chunk of a response body on its way to the client. */
export interface ResponseChunk {
  request: GatewayRequest;
  chunk: Uint8Array;
  /** True for a streamed response (SSE or chunked): one call per chunk (per SSE event) as it arrives. */
  isStreamChunk: boolean;
}

/** What `onStreamComplete` is told once the last byte went to the client. */
export interface StreamCompleteInfo {
  request: GatewayRequest;
  statusCode: number;
  chunks: number;
  bytes: number;
}

/** One record per request, blocked and refused ones too. */
export interface ProxyLog {
  requestId: string;
  /** The route's name, or `plugins/<name>`, or empty when no route matched. */
  route: string;
  method: string;
  /** The client's path. */
  path: string;
  statusCode: number;
  appId?: string;
  userId?: string;
  latencyMs: number;
  requestBytes: number;
  responseBytes: number;
  edgeId: string;
  timestamp: Date;
}

/** Token usage, from an upstream's OpenAI-style `usage` (a JSON body, or the last SSE event carrying one). */
export interface Analytics {
  requestId: string;
  route: string;
  appId?: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  edgeId: string;
  timestamp: Date;
}

/** The cost of a request, when its route has `prices`. */
export interface BudgetUsage {
  requestId: string;
  route: string;
  appId?: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  /** `promptTokens / 1000 × promptPer1k + completionTokens / 1000 × completionPer1k`. */
  cost: number;
  currency: string;
  edgeId: string;
  timestamp: Date;
}

/** A custom endpoint a plugin serves under `/plugins/<plugin name>/<path>`. */
export interface EndpointSpec {
  /** Relative to `/plugins/<plugin name>/`; `/` or `` is the plugin's root; a trailing `*` matches any rest. */
  path: string;
  methods: string[];
  /** Built-in or plugin auth first (401 when it fails). @default false */
  requireAuth?: boolean;
}

/** A custom endpoint's answer: unary (`body`) or streamed (`stream`, written as it comes). */
export interface EndpointResponse {
  statusCode?: number;
  headers?: HookHeaders;
  body?: HookBody;
  stream?: AsyncIterable<Uint8Array>;
}
