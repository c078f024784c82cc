import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ErrorCode, HubspokeError } from '@hubspoke/sdk';
import { createUser, fromSeed } from '@nats-io/nkeys';

/** A NATS user nkey: the seed (secret, `SU…`) and its public key (`U…`, what the hub's config names). */
export interface UserKey {
  seed: string;
  publicKey: string;
}

/** A fresh user nkey. */
export function createUserKey(): UserKey {
  const kp = createUser();
  return { seed: new TextDecoder().decode(kp.getSeed()), publicKey: kp.getPublicKey() };
}

/** The public key of a user seed; `HS_ERR_CONFIG_INVALID` when `seed` is not one. */
export function publicKeyOf(seed: string, where = 'the seed'): string {
  let publicKey: string;
  try {
    publicKey = fromSeed(new TextEncoder().encode(seed)).getPublicKey();
  } catch (err) {
    throw new HubspokeError(ErrorCode.ConfigInvalid, `${where} is not an nkey seed: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (!seed.startsWith('SU')) {
    throw new HubspokeError(
      ErrorCode.ConfigInvalid,
      `${where} is an nkey seed, but not a user's (want one starting SU)`,
    );
  }
  return publicKey;
}

/**
 * Reads an nkey seed file (`hubspoke auth init` / `edge add` write them): the first line starting `SU`, so a
 * file with comments works too. `HS_ERR_CONFIG_INVALID` names the file when it is unreadable or holds no user seed.
 */
export function readSeedFile(path: string): UserKey {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new HubspokeError(ErrorCode.ConfigInvalid, `credentials: cannot read ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const seed = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => /^S[A-Z2-7]{57}$/.test(l));
  if (seed === undefined) {
    throw new HubspokeError(ErrorCode.ConfigInvalid, `credentials: ${path} holds no nkey seed (a line starting SU)`);
  }
  return { seed, publicKey: publicKeyOf(seed, `credentials: ${path}`) };
}

/** The hub user a managed leaf of this edge authenticates as. */
export function leafUserName(edgeId: string): string {
  return `leaf-${edgeId}`;
}

/**
 * The password of an edge's leaf user, derived from the edge's seed: nats-server 2.9 leaf remotes cannot sign with
 * an nkey (no `nkey` option; a creds file needs operator mode), but they send `user:password` from the URL. Deriving
 * it from the seed keeps the edge at one secret file, and a new seed (rotation) gives a new password.
 */
export function leafPassword(seed: string, edgeId: string): string {
  return createHmac('sha256', seed).update(`hubspoke leaf password v1\0${edgeId}`).digest('base64url');
}
