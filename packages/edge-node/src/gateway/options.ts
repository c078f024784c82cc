import { z } from 'zod';

/** Options of the edge gateway (`startEdgeNode({ gateway })`). */
export interface GatewayOptions {
  /** `host:port` to serve HTTP on; port 0 picks a free one. @default '127.0.0.1:0' */
  listen?: string;
  /** Largest request head (request line and headers) in bytes; above: 431. @default 16384 */
  maxHeaderBytes?: number;
  /** Largest request body in bytes; above: 413. @default 10485760 */
  maxBodyBytes?: number;
  /** Deadline of every hook call (request, response and collector hooks). @default 200 */
  hookTimeoutMs?: number;
  /** Circuit breaker per plugin: failures in a row that open it, and how long it stays open. @default 5, 5000 */
  breaker?: { failures?: number; openMs?: number };
  /** How long an AuthHandler's answer (negative ones too) is reused; a config change clears them all. @default 60000 */
  authCacheMs?: number;
  /**
   * Telemetry to the control plane: records held at most (drops above are counted), records per payload, and
   * the longest a record waits for its batch. `toControl: false` keeps records at the edge's collectors.
   * @default { toControl: true, queueSize: 100000, batchSize: 500, flushMs: 250 }
   */
  telemetry?: { toControl?: boolean; queueSize?: number; batchSize?: number; flushMs?: number };
}

/** The zod schema of {@link GatewayOptions}; every field has its default. */
export const gatewayOptionsSchema = z
  .object({
    listen: z.string().min(1).default('127.0.0.1:0'),
    maxHeaderBytes: z.number().int().min(1024).max(1_048_576).default(16_384),
    maxBodyBytes: z
      .number()
      .int()
      .min(0)
      .max(1024 * 1024 * 1024)
      .default(10 * 1024 * 1024),
    hookTimeoutMs: z.number().int().min(1).max(600_000).default(200),
    breaker: z
      .object({
        failures: z.number().int().min(1).max(10_000).default(5),
        openMs: z.number().int().min(10).max(3_600_000).default(5000),
      })
      .strict()
      .prefault({}),
    authCacheMs: z.number().int().min(0).max(86_400_000).default(60_000),
    telemetry: z
      .object({
        toControl: z.boolean().default(true),
        queueSize: z.number().int().min(1).max(10_000_000).default(100_000),
        batchSize: z.number().int().min(1).max(10_000).default(500),
        flushMs: z.number().int().min(1).max(60_000).default(250),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** Gateway options after parsing: every field set. */
export type ParsedGatewayOptions = z.output<typeof gatewayOptionsSchema>;
