import { Metadata, status, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import { ErrorCode, HubspokeError, isHubspokeError } from '@hubspoke/sdk';
import { clip, codeOfStatus, parseStatusDetails, statusOfError } from '@hubspoke/sdk/internal';

/**
 * The gRPC status of an error, from the one table the plugin protocol uses too (`GRPC_STATUS_OF_CODE`); its
 * message keeps the `HS_ERR_*` code in front and is cut to 1 KiB (it travels in an HTTP/2 header).
 */
export function toStatus(err: unknown): Partial<StatusObject> {
  if (!isHubspokeError(err)) {
    const msg = (err as Error | undefined)?.message ?? String(err);
    // JetStream refusals that come up through nats.js without a hubspoke code.
    if (/timeout|no responders|connection closed|disconnect/i.test(msg)) {
      return { code: status.UNAVAILABLE, details: clip(`${ErrorCode.NotConnected}: ${msg}`), metadata: new Metadata() };
    }
  }
  return { ...statusOfError(err, { status: status.INTERNAL, code: ErrorCode.Internal }), metadata: new Metadata() };
}

/**
 * A gRPC failure seen by a client, as a hubspoke error: the `HS_ERR_*` code the server put in front of the
 * message, or one that fits the status (UNAVAILABLE: `HS_ERR_NOT_CONNECTED`, UNAUTHENTICATED:
 * `HS_ERR_UNAUTHENTICATED`). `grpcCode` keeps the status.
 */
export function fromServiceError(err: ServiceError, address: string): HubspokeError & { grpcCode: number } {
  const details = err.details || err.message;
  const coded = parseStatusDetails(details);
  if (coded) {
    return Object.assign(new HubspokeError(coded.code, coded.message, { cause: err }), { grpcCode: err.code });
  }
  const code = codeOfStatus(err.code, ErrorCode.Internal);
  const why =
    code === ErrorCode.NotConnected
      ? `cannot reach the admin API at ${address}: ${details}`
      : code === ErrorCode.Unauthenticated
        ? `the admin API at ${address} refused the call: ${details}`
        : details;
  return Object.assign(new HubspokeError(code, why, { cause: err }), { grpcCode: err.code });
}
