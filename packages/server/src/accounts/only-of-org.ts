/**
 * Which admins an org may act on server-wide: those whose ONLY role is in
 * that org. Sessions belong to the account, not to an org, so listing or
 * revoking them (org session routes, incident rotate-credentials) is
 * limited to accounts no other org shares (security review H2).
 */
import type { ExpressionBuilder } from 'kysely'
import type { Database } from '../db/schema.js'

/**
 * The admins whose only role is in `org`, as a subquery: the accounts whose
 * sessions an org may list and revoke (incident/rotate-credentials.ts too).
 *
 * @example
 * db.updateTable('sessions').set({ revoked_at: now }).where('admin_id', 'in', onlyOfOrg('acme'))
 */
export function onlyOfOrg(org: string) {
  return (eb: ExpressionBuilder<Database, any>) =>
    eb
      .selectFrom('admin_roles as mine')
      .select('mine.admin_id')
      .where('mine.org_id', '=', org)
      .where((e) => e.not(e.exists(e.selectFrom('admin_roles as other').select('other.org_id').whereRef('other.admin_id', '=', 'mine.admin_id').where('other.org_id', '!=', org))))
}
