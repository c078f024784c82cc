import { Buffer } from 'node:buffer';
import { ErrorCode, HubspokeError } from './errors.js';
import type { Limits } from './limits.js';

/**
 * Checks metadata and correlation ids against the limits.
 * @throws HubspokeError `HS_ERR_METADATA_INVALID` naming the entry at fault
 */
export function assertMetadata(
  limits: Readonly<Limits>,
  metadata: Readonly<Record<string, string>> | undefined,
  ids?: { correlationId?: string | undefined; causationId?: string | undefined },
): void {
  for (const [name, v] of [
    ['correlation id', ids?.correlationId],
    ['causation id', ids?.causationId],
  ] as const) {
    if (v === undefined) continue;
    if (typeof v !== 'string') throw new HubspokeError(ErrorCode.MetadataInvalid, `${name} must be a string`);
    if (Buffer.byteLength(v) > limits.maxCorrelationIdBytes) {
      throw new HubspokeError(
        ErrorCode.MetadataInvalid,
        `${name} is longer than ${limits.maxCorrelationIdBytes} bytes`,
      );
    }
  }
  if (metadata === undefined) return;
  if (typeof metadata !== 'object' || metadata === null) {
    throw new HubspokeError(ErrorCode.MetadataInvalid, 'metadata must be an object of strings');
  }
  let n = 0;
  for (const k in metadata) {
    if (++n > limits.maxMetadataEntries) {
      throw new HubspokeError(ErrorCode.MetadataInvalid, `metadata has more than ${limits.maxMetadataEntries} entries`);
    }
    const v = metadata[k];
    if (typeof v !== 'string') {
      throw new HubspokeError(
        ErrorCode.MetadataInvalid,
        `metadata ${JSON.stringify(k)} must be a string, not ${typeof v}`,
      );
    }
    if (k.length === 0 || Buffer.byteLength(k) > limits.maxMetadataKeyBytes) {
      throw new HubspokeError(
        ErrorCode.MetadataInvalid,
        `metadata key ${JSON.stringify(k.slice(0, 40))} must be 1 to ${limits.maxMetadataKeyBytes} bytes`,
      );
    }
    if (Buffer.byteLength(v) > limits.maxMetadataValueBytes) {
      throw new HubspokeError(
        ErrorCode.MetadataInvalid,
        `metadata ${JSON.stringify(k)} has a value longer than ${limits.maxMetadataValueBytes} bytes`,
      );
    }
  }
}

/**
 * Checks a payload's size.
 * @throws HubspokeError `HS_ERR_PAYLOAD_TOO_LARGE`
 */
export function assertPayloadSize(limits: Readonly<Limits>, size: number): void {
  if (size > limits.maxPayloadBytes) {
    throw new HubspokeError(
      ErrorCode.PayloadTooLarge,
      `payload of ${size} bytes is above the limit of ${limits.maxPayloadBytes} bytes`,
    );
  }
}
