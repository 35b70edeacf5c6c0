/**
 * Which orgs make the signed-in admin enrol TOTP before anything else.
 *
 * Two cases, one answer: a session opened as "enrol only" (an org of the
 * admin requires MFA and the admin had no TOTP at sign-in: the server names
 * those orgs in `session.mfaEnrolmentRequiredBy` and lists no orgs), and a
 * session that passed but whose admin still has no TOTP while an org now
 * requires it (the setting was turned on later, or an invitation to such
 * an org was just accepted): the server refuses that org's routes (403
 * SRV_MFA_REQUIRED), so the console goes to enrolment instead of showing
 * pages that cannot load. The server enforces both; this only routes.
 */
import type { Me } from '../api/types'

/**
 * The org ids requiring enrolment (empty when none), sorted.
 *
 * @example
 * if (mfaRequiredBy(me).length > 0) return <AccountPage … />
 */
export function mfaRequiredBy(me: Me): readonly string[] {
  const ids = new Set(me.session.mfaEnrolmentRequiredBy)
  if (!me.admin.mfaEnabled) for (const o of me.orgs) if (o.requireMfa) ids.add(o.id)
  return [...ids].sort()
}

/**
 * `acme`, `acme and globex`, `acme, globex and initech`.
 *
 * @example
 * listOrgs(['acme', 'globex']) // 'acme and globex'
 */
export function listOrgs(ids: readonly string[]): string {
  return ids.length <= 1 ? (ids[0] ?? '') : `${ids.slice(0, -1).join(', ')} and ${ids[ids.length - 1]!}`
}
