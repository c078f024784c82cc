/**
 * Every error hubspoke raises carries a stable `code`. The codes are the contract; messages may improve.
 * `docs/errors.md` documents each code, and a test keeps that page and this list in step.
 */
export const ErrorCode = {
  PayloadTooLarge: 'HS_ERR_PAYLOAD_TOO_LARGE',
  MetadataInvalid: 'HS_ERR_METADATA_INVALID',
  InvalidTopic: 'HS_ERR_INVALID_TOPIC',
  InvalidName: 'HS_ERR_INVALID_NAME',
  InvalidKey: 'HS_ERR_INVALID_KEY',
  InvalidArgument: 'HS_ERR_INVALID_ARGUMENT',
  OutboxFull: 'HS_ERR_OUTBOX_FULL',
  NotConnected: 'HS_ERR_NOT_CONNECTED',
  ConfigInvalid: 'HS_ERR_CONFIG_INVALID',
  ConfigRejected: 'HS_ERR_CONFIG_REJECTED',
  ScopeDenied: 'HS_ERR_SCOPE_DENIED',
  EnvelopeMalformed: 'HS_ERR_ENVELOPE_MALFORMED',
  Plugin: 'HS_ERR_PLUGIN',
  NotSupported: 'HS_ERR_NOT_SUPPORTED',
  Closed: 'HS_ERR_CLOSED',
  NatsServerMissing: 'HS_ERR_NATS_SERVER_MISSING',
  JetStreamUnavailable: 'HS_ERR_JETSTREAM_UNAVAILABLE',
  NotFound: 'HS_ERR_NOT_FOUND',
  Unauthenticated: 'HS_ERR_UNAUTHENTICATED',
  Forbidden: 'HS_ERR_FORBIDDEN',
  NoControlPlane: 'HS_ERR_NO_CONTROL_PLANE',
  Internal: 'HS_ERR_INTERNAL',
  BadRequest: 'HS_ERR_BAD_REQUEST',
  RequestTooLarge: 'HS_ERR_REQUEST_TOO_LARGE',
  RouteNotFound: 'HS_ERR_ROUTE_NOT_FOUND',
  UpstreamUnreachable: 'HS_ERR_UPSTREAM_UNREACHABLE',
  UpstreamTimeout: 'HS_ERR_UPSTREAM_TIMEOUT',
} as const;

/** One of the stable error codes listed in `docs/errors.md`. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** The one error class of hubspoke: an `Error` with a stable {@link ErrorCode}. */
export class HubspokeError extends Error {
  /** The stable code; match on this, not on the message. */
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${message}`, options);
    this.name = 'HubspokeError';
    this.code = code;
  }
}

/** True when `err` is a hubspoke error, optionally with the given code. Works across package copies. */
export function isHubspokeError(err: unknown, code?: ErrorCode): err is HubspokeError {
  if (typeof err !== 'object' || err === null) return false;
  const c = (err as { code?: unknown }).code;
  return typeof c === 'string' && c.startsWith('HS_ERR_') && (code === undefined || c === code);
}
