import { Metadata, status, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { ErrorCode, HubspokeError, isHubspokeError } from '@hubspoke/sdk';

/** A hubspoke error with the gRPC status it is answered with (NOT_FOUND, FAILED_PRECONDITION: no HS code of their own). */
export class AdminError extends HubspokeError {
  constructor(
    readonly grpcCode: status,
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

const BY_CODE: Partial<Record<ErrorCode, status>> = {
  [ErrorCode.InvalidArgument]: status.INVALID_ARGUMENT,
  [ErrorCode.InvalidName]: status.INVALID_ARGUMENT,
  [ErrorCode.InvalidKey]: status.INVALID_ARGUMENT,
  [ErrorCode.ConfigInvalid]: status.INVALID_ARGUMENT,
  [ErrorCode.ConfigRejected]: status.FAILED_PRECONDITION,
  [ErrorCode.NotConnected]: status.UNAVAILABLE,
  [ErrorCode.JetStreamUnavailable]: status.UNAVAILABLE,
  [ErrorCode.Closed]: status.UNAVAILABLE,
  [ErrorCode.NotSupported]: status.UNIMPLEMENTED,
};

/** The gRPC status of an error; its message keeps the `HS_ERR_*` code in front. */
export function toStatus(err: unknown): Partial<StatusObject> {
  if (err instanceof AdminError) return { code: err.grpcCode, details: err.message, metadata: new Metadata() };
  if (isHubspokeError(err)) {
    return { code: BY_CODE[err.code] ?? status.INTERNAL, details: (err as Error).message, metadata: new Metadata() };
  }
  const msg = (err as Error)?.message ?? String(err);
  // JetStream refusals that come up through nats.js without a hubspoke code.
  if (/timeout|no responders|connection closed|disconnect/i.test(msg)) {
    return { code: status.UNAVAILABLE, details: `${ErrorCode.NotConnected}: ${msg}`, metadata: new Metadata() };
  }
  return { code: status.INTERNAL, details: `${ErrorCode.Internal}: ${msg}`, metadata: new Metadata() };
}

/**
 * A gRPC failure seen by a client, as a hubspoke error: the `HS_ERR_*` code the server put in front of the
 * message, or one that fits the status (UNAVAILABLE: `HS_ERR_NOT_CONNECTED`).
 */
export function fromServiceError(err: ServiceError, address: string): HubspokeError {
  const details = err.details || err.message;
  const m = /^(HS_ERR_[A-Z_]+): ([\s\S]*)$/.exec(details);
  const known = Object.values(ErrorCode) as string[];
  if (m && known.includes(m[1] as string)) {
    return Object.assign(new HubspokeError(m[1] as ErrorCode, m[2] as string, { cause: err }), { grpcCode: err.code });
  }
  const code =
    err.code === status.UNAVAILABLE || err.code === status.DEADLINE_EXCEEDED
      ? ErrorCode.NotConnected
      : err.code === status.UNIMPLEMENTED
        ? ErrorCode.NotSupported
        : ErrorCode.Internal;
  const why = code === ErrorCode.NotConnected ? `cannot reach the admin API at ${address}: ${details}` : details;
  return Object.assign(new HubspokeError(code, why, { cause: err }), { grpcCode: err.code });
}
