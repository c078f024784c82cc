/** Limits every node enforces on what it publishes or sends, and on what it decodes. */
export interface Limits {
  /** Largest payload in bytes. @default 1048576 (1 MiB), and never above the server's `max_payload` minus the envelope */
  maxPayloadBytes: number;
  /** Most metadata entries per event or payload. @default 32 */
  maxMetadataEntries: number;
  /** Longest metadata key, in UTF-8 bytes. @default 128 */
  maxMetadataKeyBytes: number;
  /** Longest metadata value, in UTF-8 bytes. @default 1024 */
  maxMetadataValueBytes: number;
  /** Longest correlation or causation id, in UTF-8 bytes. @default 256 */
  maxCorrelationIdBytes: number;
}

/** The default {@link Limits}. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxPayloadBytes: 1024 * 1024,
  maxMetadataEntries: 32,
  maxMetadataKeyBytes: 128,
  maxMetadataValueBytes: 1024,
  maxCorrelationIdBytes: 256,
});

/** Room kept for the envelope's own fields when the payload limit is derived from the server's `max_payload`. */
export const ENVELOPE_OVERHEAD_BYTES = 64 * 1024;
