// The one table from hubspoke's error codes to gRPC status codes, for every gRPC surface (the admin API and
// the plugin protocol, both ways). Plain numbers: the SDK's main entry must not load @grpc/grpc-js.
import { ErrorCode, isHubspokeError } from '../errors.js';

/** gRPC status codes (the numbers of grpc-js's `status` enum, which they equal). */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** Every code's gRPC status (a `Record` over all codes: a new code does not compile until it is placed here). */
export const GRPC_STATUS_OF_CODE: Readonly<Record<ErrorCode, number>> = {
  [ErrorCode.PayloadTooLarge]: GrpcStatus.INVALID_ARGUMENT,
  [ErrorCode.MetadataInvalid]: GrpcStatus.INVALID_ARGUMENT,
  [ErrorCode.InvalidTopic]: GrpcStatus.INVALID_ARGUMENT,
  [ErrorCode.InvalidName]: GrpcStatus.INVALID_ARGUMENT,
  [ErrorCode.InvalidKey]: GrpcStatus.INVALID_ARGUMENT,
  [ErrorCode.InvalidArgument]: GrpcStatus.INVALID_ARGUMENT,
  [ErrorCode.ConfigInvalid]: GrpcStatus.INVALID_ARGUMENT,
  [ErrorCode.EnvelopeMalformed]: GrpcStatus.INVALID_ARGUMENT,
  [ErrorCode.OutboxFull]: GrpcStatus.RESOURCE_EXHAUSTED,
  [ErrorCode.NotConnected]: GrpcStatus.UNAVAILABLE,
  [ErrorCode.NoControlPlane]: GrpcStatus.UNAVAILABLE,
  [ErrorCode.JetStreamUnavailable]: GrpcStatus.UNAVAILABLE,
  [ErrorCode.Closed]: GrpcStatus.UNAVAILABLE,
  [ErrorCode.ConfigRejected]: GrpcStatus.FAILED_PRECONDITION,
  [ErrorCode.NatsServerMissing]: GrpcStatus.FAILED_PRECONDITION,
  [ErrorCode.ScopeDenied]: GrpcStatus.PERMISSION_DENIED,
  [ErrorCode.Forbidden]: GrpcStatus.PERMISSION_DENIED,
  [ErrorCode.Unauthenticated]: GrpcStatus.UNAUTHENTICATED,
  [ErrorCode.NotFound]: GrpcStatus.NOT_FOUND,
  [ErrorCode.NotSupported]: GrpcStatus.UNIMPLEMENTED,
  [ErrorCode.Plugin]: GrpcStatus.UNKNOWN,
  [ErrorCode.Internal]: GrpcStatus.INTERNAL,
  [ErrorCode.BadRequest]: GrpcStatus.INVALID_ARGUMENT,
  [ErrorCode.RequestTooLarge]: GrpcStatus.RESOURCE_EXHAUSTED,
  [ErrorCode.RouteNotFound]: GrpcStatus.NOT_FOUND,
  [ErrorCode.UpstreamUnreachable]: GrpcStatus.UNAVAILABLE,
  [ErrorCode.UpstreamTimeout]: GrpcStatus.DEADLINE_EXCEEDED,
};

/**
 * Longest status message sent: grpc-message travels in an HTTP/2 header, and one that echoes a megabyte of
 * input (an id) made the client's connection stall for every later call.
 */
export const MAX_STATUS_DETAILS = 1024;

/** `text` cut to `max` characters, saying so. */
export function clip(text: string, max = MAX_STATUS_DETAILS): string {
  return text.length <= max ? text : `${text.slice(0, max - 24)}… (${text.length} chars)`;
}

/**
 * The status of an error: a hubspoke error's from the table, anything else `fallback` with `fallbackCode` in
 * front of its message. The message keeps its `HS_ERR_*` code in front so that the other side can rebuild it.
 */
export function statusOfError(
  err: unknown,
  fallback: { status: number; code: ErrorCode },
): { code: number; details: string } {
  if (isHubspokeError(err)) {
    return { code: GRPC_STATUS_OF_CODE[err.code] ?? GrpcStatus.INTERNAL, details: clip((err as Error).message) };
  }
  const msg = (err as Error | undefined)?.message ?? String(err);
  return { code: fallback.status, details: clip(`${fallback.code}: ${msg}`) };
}

/** The `HS_ERR_*` code a status message starts with, and the rest; undefined when it names no known code. */
export function parseStatusDetails(details: string): { code: ErrorCode; message: string } | undefined {
  const m = /^(HS_ERR_[A-Z_]+): ([\s\S]*)$/.exec(details);
  if (!m || !(Object.values(ErrorCode) as string[]).includes(m[1] as string)) return undefined;
  return { code: m[1] as ErrorCode, message: m[2] as string };
}

/** The code that fits a status without one (UNAVAILABLE: not connected; UNAUTHENTICATED: its own). */
export function codeOfStatus(code: number, fallback: ErrorCode): ErrorCode {
  switch (code) {
    case GrpcStatus.UNAVAILABLE:
    case GrpcStatus.DEADLINE_EXCEEDED:
      return ErrorCode.NotConnected;
    case GrpcStatus.UNAUTHENTICATED:
      return ErrorCode.Unauthenticated;
    case GrpcStatus.UNIMPLEMENTED:
      return ErrorCode.NotSupported;
    case GrpcStatus.NOT_FOUND:
      return ErrorCode.NotFound;
    default:
      return fallback;
  }
}
