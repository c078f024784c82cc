import { ErrorCode, HubspokeError, isName } from '@hubspoke/sdk';
import { z } from 'zod';

/**
 * Parses runtime options once at start: every problem is reported in one `HS_ERR_CONFIG_INVALID` error that
 * names each field; the result is frozen.
 */
export function parseConfig<S extends z.ZodType>(schema: S, input: unknown, what: string): Readonly<z.output<S>> {
  const r = schema.safeParse(input);
  if (!r.success) {
    const problems = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
    throw new HubspokeError(ErrorCode.ConfigInvalid, `${what} configuration is invalid: ${problems.join('; ')}`);
  }
  return deepFreeze(r.data);
}

/** Freezes plain objects and arrays all the way down; class instances (plugins, loggers) are left alone. */
function deepFreeze<T>(value: T): Readonly<T> {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (Array.isArray(value) || proto === Object.prototype || proto === null) {
      Object.freeze(value);
      for (const v of Object.values(value)) deepFreeze(v);
    }
  }
  return value;
}

/** A namespace, edge id or plugin name (DESIGN.md: 1–64 of `[A-Za-z0-9_-]`, not starting with `_`). */
export const nameSchema = z
  .string()
  .refine(isName, { message: 'must be 1-64 characters of [A-Za-z0-9_-], not starting with "_"' });

/** One NATS URL or several. */
export const serversSchema = z.union(
  [
    z
      .string()
      .regex(/^(nats|tls|ws|wss):\/\/\S+$|^[\w.-]+:\d+$/, { message: 'must be a NATS URL like nats://host:4222' }),
    z.array(z.string().min(1)).min(1),
  ],
  {
    error: (issue) =>
      issue.input === undefined
        ? 'is required (the NATS URL, e.g. nats://127.0.0.1:4222)'
        : 'must be a NATS URL like nats://host:4222, or a list of them',
  },
);

const limitsSchema = z
  .object({
    maxPayloadBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024),
    maxMetadataEntries: z.number().int().min(0).max(1024),
    maxMetadataKeyBytes: z.number().int().min(1).max(4096),
    maxMetadataValueBytes: z.number().int().min(1).max(65536),
    maxCorrelationIdBytes: z.number().int().min(1).max(4096),
  })
  .partial()
  .strict();

/** TLS to the hub: `ca` verifies the server's certificate; `cert` and `key` (together) are this node's, for mTLS. */
export const tlsSchema = z
  .object({ ca: z.string().min(1), cert: z.string().min(1).optional(), key: z.string().min(1).optional() })
  .strict()
  .refine((t) => (t.cert === undefined) === (t.key === undefined), {
    message: 'cert and key go together (both for mutual TLS, neither for server verification only)',
  });

/** The options both runtimes take. */
export const commonOptionsShape = {
  natsUrl: serversSchema,
  credentials: z.string().min(1).optional(),
  tls: tlsSchema.optional(),
  plugins: z.array(z.unknown()).default([]),
  log: z.unknown().optional(),
  limits: limitsSchema.optional(),
  queueSize: z.number().int().min(1).max(1_000_000).optional(),
  connectTimeoutMs: z.number().int().min(100).max(3_600_000).optional(),
  timeouts: z
    .object({ initializeMs: z.number().int().min(1), shutdownMs: z.number().int().min(1) })
    .partial()
    .strict()
    .optional(),
  metrics: z
    .object({ listen: z.string().min(1).default('127.0.0.1:0') })
    .strict()
    .optional(),
};
