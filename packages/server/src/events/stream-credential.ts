/**
 * Whether the credential that opened a live event stream still grants
 * `read` on its org: the stream's periodic re-check (events-route.ts), so
 * that a revoked or expired session or API key, or an admin removed from
 * the org, stops receiving within one re-check interval rather than at the
 * end of the stream.
 *
 * Resolves through the access hook's own functions (resolve-session.ts,
 * resolve-api-key.ts) with `touch: false`: a stream left open is not the
 * admin's activity and must not keep an idle session alive. Trusts the
 * database.
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { Kysely } from 'kysely'
import type { Database } from '../db/schema.js'
import { roleGrants, scopesGrant } from '../auth/access.js'
import { orgMembership } from '../auth/org-membership.js'
import { presentedCredential } from '../auth/presented-credentials.js'
import { resolveApiKey } from '../auth/resolve-api-key.js'
import { resolveSession } from '../auth/resolve-session.js'
import type { SessionPolicy } from '../auth/session-policy.js'

/**
 * True while the credential in `headers` may still read `org` at `now`.
 *
 * @example
 * if (!(await credentialStillGrants(db, request.headers, 'acme', Date.now(), SESSION_POLICY))) stream.end()
 */
export async function credentialStillGrants(db: Kysely<Database>, headers: IncomingHttpHeaders, org: string, now: number, policy: SessionPolicy): Promise<boolean> {
  const presented = presentedCredential(headers)
  if (presented.kind === 'api-key') {
    const key = await resolveApiKey(db, presented.key, now, '', { touch: false })
    return key !== undefined && key.orgId === org && scopesGrant(key.scopes, 'read')
  }
  if (presented.kind !== 'session') return false
  const session = await resolveSession(db, presented.token, now, policy, { touch: false })
  if (session === undefined || !session.mfa) return false
  const membership = await orgMembership(db, session.adminId, org)
  if (membership === undefined) return false
  if (membership.requireMfa && !session.totpEnabled) return false
  return membership.role !== null && roleGrants(membership.role, 'read')
}
