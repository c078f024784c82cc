import { randomBytes } from 'node:crypto';
import { bearerToken, tokensEqual } from '@hubspoke/sdk/internal';
import { z } from 'zod';

/** An admin token: 16-512 printable characters without spaces (`hubspoke auth init` writes 43). */
export const adminTokenSchema = z
  .string()
  .regex(/^[\x21-\x7e]{16,512}$/, 'must be 16-512 printable characters without spaces (hubspoke auth init makes one)');

/** A new random admin token (32 bytes, base64url: 43 characters). */
export function generateAdminToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * True when `presented` is the admin token: either the token itself or an `authorization` header value
 * `Bearer <token>`. Compared in constant time. For every server that guards the admin API's operations (the
 * gRPC admin API, the ops console), so that all accept exactly the same thing.
 */
export function adminTokenMatches(presented: string | undefined, token: string): boolean {
  if (presented === undefined || token === '') return false;
  const t = bearerToken(presented) ?? presented;
  return tokensEqual(t, token);
}
