/**
 * The header's notice of pending invitations: a link to the account page,
 * where they are accepted or declined. Nothing shows when there are none.
 */
import { Link } from '../ui/link'
import { usePendingInvitations } from './pending-invitations'

/**
 * @example
 * <InvitationsBadge enabled={me.session.mfa} />
 */
export function InvitationsBadge(props: { enabled: boolean }) {
  const { list } = usePendingInvitations(props.enabled)
  const n = list?.length ?? 0
  if (n === 0) return null
  return (
    <Link to="/account#invitations" className="invitations-badge" data-testid="invitations-badge">
      {n === 1 ? '1 invitation' : `${n} invitations`}
    </Link>
  )
}
