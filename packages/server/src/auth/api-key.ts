/**
 * Admin API keys (WIRE.md "Authentication"): `pal_<prefix>_<secret>`, where
 * the prefix is 8 lower-case base32 characters (40 random bits, shown in
 * lists and used for lookup) and the secret is 32 random bytes in base64url
 * (43 characters). The server stores the prefix and the hex SHA-256 of the
 * secret's text only (DESIGN.md G5): a stolen database yields no usable key,
 * and the full key exists only in the answer to the call that created it.
 *
 * The secret has 256 bits of entropy, so a fast hash is enough: there is
 * nothing to brute-force, unlike a password.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { base32 } from './base32.js'

/** The shape of an API key; group 1 is the prefix, group 2 the secret. */
export const API_KEY_RE = /^pal_([a-z2-7]{8})_([A-Za-z0-9_-]{43})$/

/** Scope names: lower-case words, e.g. `admin`. */
export const SCOPE_RE = /^[a-z][a-z0-9:._-]{0,63}$/

/** A key just created: the only time its secret exists. */
export interface NewApiKey {
  readonly id: string
  /** The visible prefix (8 base32 characters), for lists. */
  readonly prefix: string
  /** `pal_<prefix>_<secret>`: show it once, never log it. */
  readonly key: string
}

/** Options of {@link createApiKey}. */
export interface CreateApiKeyOptions {
  /** Milliseconds since the epoch (default Date.now()). */
  readonly now?: number
  /** When the key stops working (default never). */
  readonly expiresAt?: number | null
  /** Who created it: an admin id or an API key id (default null: the setup key). */
  readonly createdBy?: string | null
}

/**
 * Creates an API key for `orgId` and stores its hash. Pass a transaction as
 * `db` to create it together with other rows.
 *
 * @example
 * const { id, key } = await createApiKey(db, 'acme', 'first admin', ['admin'])
 * // key: 'pal_k3j5x2ab_Qm9…' — hand it to the caller; it cannot be shown again
 */
export async function createApiKey(
  db: Kysely<Database>,
  orgId: string,
  name: string,
  scopes: readonly string[],
  options: CreateApiKeyOptions = {},
): Promise<NewApiKey> {
  if (name.length === 0 || name.length > 200) throw new RangeError('an API key name is 1 to 200 characters')
  if (!scopes.every((s) => SCOPE_RE.test(s))) throw new RangeError('invalid API key scope')
  const prefix = base32(randomBytes(5)).toLowerCase()
  const secret = randomBytes(32).toString('base64url')
  const id = randomUUID()
  await db
    .insertInto('api_keys')
    .values({
      id,
      org_id: orgId,
      name,
      prefix,
      secret_hash: hashSecret(secret),
      scopes: JSON.stringify([...scopes]),
      created_at: options.now ?? Date.now(),
      expires_at: options.expiresAt ?? null,
      created_by: options.createdBy ?? null,
    })
    .execute()
  return Object.freeze({ id, prefix, key: `pal_${prefix}_${secret}` })
}

/**
 * Splits a presented key into prefix and secret; undefined when it does
 * not have the shape of a key.
 *
 * @example
 * parseApiKey('pal_abcdefgh_' + 'A'.repeat(43))?.prefix // 'abcdefgh'
 */
export function parseApiKey(key: string): { readonly prefix: string; readonly secret: string } | undefined {
  const m = API_KEY_RE.exec(key)
  return m === null ? undefined : { prefix: m[1]!, secret: m[2]! }
}

/** The stored form of a secret: hex SHA-256 of its text. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex')
}

/**
 * True when `secret` hashes to `storedHash`, compared in constant time.
 *
 * @example
 * secretMatches(secret, row.secret_hash)
 */
export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex')
  const b = Buffer.from(storedHash, 'hex')
  return a.length === b.length && timingSafeEqual(a, b)
}
