import type { ServiceDefinition } from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import { descriptors } from '@hubspoke/sdk/internal';
import protobuf from 'protobufjs';

/** The full name of the admin service. */
export const ADMIN_SERVICE = 'hubspoke.v1.Admin';

const TO_OBJECT = { longs: Number, enums: String, defaults: true, arrays: true, objects: true } as const;

let definition: ServiceDefinition | undefined;
let strict: ServiceDefinition | undefined;

/**
 * The Admin service definition, made from the generated descriptors (the one copy of the contract). Messages are
 * plain objects: camelCase fields, 64-bit integers as numbers, absent fields filled with their defaults.
 */
export function adminServiceDefinition(): ServiceDefinition {
  definition ??= fromJSON(descriptors as unknown as Parameters<typeof fromJSON>[0], TO_OBJECT)[
    ADMIN_SERVICE
  ] as ServiceDefinition;
  return definition;
}

/** What a strict decoder gives for bytes it refuses: the server answers INVALID_ARGUMENT with `why`. */
export const UNDECODABLE = Symbol('undecodable request');

/** The request `req` the server got, or why its bytes were refused. */
export function undecodable(req: unknown): string | undefined {
  return typeof req === 'object' && req !== null ? (req as { [UNDECODABLE]?: string })[UNDECODABLE] : undefined;
}

/**
 * The definition the server serves: the same, with request decoders that never throw (grpc-js would answer
 * INTERNAL) and refuse bytes that are not exactly a request. protobuf skips fields it does not know, so random
 * bytes often "decode"; a request whose re-encoding is not as long as what came (unknown fields, a field twice)
 * is refused instead of being read as, say, `{ all: true }`.
 */
export function strictAdminServiceDefinition(): ServiceDefinition {
  if (strict) return strict;
  const root = protobuf.Root.fromJSON(descriptors as unknown as protobuf.INamespace);
  const service = root.lookupService(ADMIN_SERVICE);
  const out: Record<string, ServiceDefinition[string]> = {};
  for (const [name, method] of Object.entries(adminServiceDefinition())) {
    const type = root.lookupType(service.methods[name]?.requestType ?? '');
    out[name] = {
      ...method,
      requestDeserialize: (buf: Buffer): unknown => {
        try {
          const msg = type.decode(buf);
          if (type.encode(msg).finish().length !== buf.length) {
            return { [UNDECODABLE]: `the ${buf.length} bytes hold fields a ${type.name} does not have` };
          }
          return type.toObject(msg, TO_OBJECT);
        } catch (err) {
          return { [UNDECODABLE]: `the bytes are not a ${type.name}: ${(err as Error).message.slice(0, 200)}` };
        }
      },
    };
  }
  strict = out as ServiceDefinition;
  return strict;
}
