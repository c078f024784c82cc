import type { ServiceDefinition } from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import { descriptors } from '@hubspoke/sdk/internal';

/** The full name of the admin service. */
export const ADMIN_SERVICE = 'hubspoke.v1.Admin';

let definition: ServiceDefinition | undefined;

/**
 * The Admin service definition, made from the generated descriptors (the one copy of the contract). Messages are
 * plain objects: camelCase fields, 64-bit integers as numbers, absent fields filled with their defaults.
 */
export function adminServiceDefinition(): ServiceDefinition {
  if (!definition) {
    const pkg = fromJSON(descriptors as unknown as Parameters<typeof fromJSON>[0], {
      longs: Number,
      enums: String,
      defaults: true,
      arrays: true,
      objects: true,
    });
    definition = pkg[ADMIN_SERVICE] as ServiceDefinition;
  }
  return definition;
}
