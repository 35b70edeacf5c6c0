/**
 * Finds the API key a request presents, at the same cost whether or not it
 * exists, and records its use (at most once a minute, so reads stay reads).
 * Revoked and expired keys resolve to nothing, like unknown ones.
 */
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { SCOPES, type Scope } from './access.js'
import { hashSecret, secretMatches } from './api-key.js'

/** last_used_at/addr are written at most this often per key. */
export const LAST_USED_INTERVAL_MS = 60_000

// A hash compared when the prefix is unknown, so both paths cost the same.
const DUMMY_HASH = hashSecret('palisade-no-such-key')

/** A usable key. */
export interface ResolvedApiKey {
  readonly id: string
  readonly orgId: string
  readonly name: string
  /** Known scope names only: an unknown name grants nothing. */
  readonly scopes: readonly Scope[]
}

/**
 * The key `presented` names, if it is usable at `now`; records last use
 * unless `touch: false`.
 *
 * @example
 * const key = await resolveApiKey(db, parseApiKey(token), Date.now(), request.ip)
 */
export async function resolveApiKey(
  db: Kysely<Database>,
  presented: { readonly prefix: string; readonly secret: string } | undefined,
  now: number,
  addr: string,
  options: { readonly touch?: boolean } = {},
): Promise<ResolvedApiKey | undefined> {
  if (presented === undefined) return undefined
  const row = await db
    .selectFrom('api_keys')
    .select(['id', 'org_id', 'name', 'secret_hash', 'scopes', 'expires_at', 'revoked_at', 'last_used_at'])
    .where('prefix', '=', presented.prefix)
    .executeTakeFirst()
  const matches = secretMatches(presented.secret, row?.secret_hash ?? DUMMY_HASH)
  if (row === undefined || !matches || row.revoked_at !== null || (row.expires_at !== null && now >= row.expires_at)) return undefined
  // touch: false for re-checks that are not a use of the key (a live stream's revocation check)
  if (options.touch !== false && (row.last_used_at === null || now - row.last_used_at >= LAST_USED_INTERVAL_MS)) {
    // Conditional, so concurrent requests write once.
    await db
      .updateTable('api_keys')
      .set({ last_used_at: now, last_used_addr: addr.slice(0, 64) })
      .where('id', '=', row.id)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', now - LAST_USED_INTERVAL_MS)]))
      .execute()
  }
  return Object.freeze({ id: row.id, orgId: row.org_id, name: row.name, scopes: parseScopes(row.scopes) })
}

/** Scope names from the stored JSON; anything unknown or malformed is dropped. */
export function parseScopes(text: string): readonly Scope[] {
  try {
    const v: unknown = JSON.parse(text)
    const known = new Set<string>(SCOPES)
    return Object.freeze(Array.isArray(v) ? v.filter((s): s is Scope => typeof s === 'string' && known.has(s)) : [])
  } catch {
    return Object.freeze([])
  }
}
