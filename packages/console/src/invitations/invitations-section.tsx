/**
 * Invitations addressed to the signed-in admin, each accepted or declined
 * here. An org never gets an existing account without its holder's say:
 * accepting is the consent (WIRE.md "What an org learns about accounts").
 * After an accept the caller reloads GET /v1/me, so the org joins the
 * switcher in this same session: no second sign-in.
 */
import { useState } from 'react'
import type { ReceivedInvitation } from '../api/types'
import { DataTable } from '../ui/data-table'
import { time } from '../ui/format'
import { Link } from '../ui/link'
import { Busy, ErrorBox } from '../ui/parts'
import { useAction } from '../ui/use-action'
import { answerInvitation, usePendingInvitations } from './pending-invitations'

const orgLabel = (o: ReceivedInvitation['org']): string => (o.name !== '' && o.name !== o.id ? `${o.name} (${o.id})` : o.id)

/**
 * @example
 * <InvitationsSection onAccepted={refreshMe} />
 */
export function InvitationsSection(props: { onAccepted: () => void }) {
  const { list, error } = usePendingInvitations(true)
  const action = useAction()
  const [joined, setJoined] = useState<{ org: ReceivedInvitation['org']; role: string } | undefined>(undefined)

  const answer = (inv: ReceivedInvitation, how: 'accept' | 'decline'): void => {
    if (how === 'decline' && !confirm(`Decline the invitation to ${orgLabel(inv.org)}?`)) return
    void action.run(() => answerInvitation(inv.id, how)).then((ok) => {
      if (!ok || how !== 'accept') return
      setJoined({ org: inv.org, role: inv.role })
      props.onAccepted()
    })
  }

  return (
    <section className="card" id="invitations" aria-labelledby="invitations-title">
      <h2 id="invitations-title">Invitations</h2>
      {joined !== undefined ? (
        <p className="ok" role="status">
          You are now {joined.role} in {orgLabel(joined.org)}.{' '}
          <Link to={`/orgs/${encodeURIComponent(joined.org.id)}/devices`}>Open {orgLabel(joined.org)}</Link>
        </p>
      ) : null}
      <ErrorBox error={action.error ?? error} />
      {list === undefined ? (
        error === undefined ? <Busy /> : null
      ) : list.length === 0 ? (
        <p className="muted">No pending invitations. When an organisation invites your username or email, it appears here.</p>
      ) : (
        <>
          <p>Accepting gives you the role offered in that organisation, with this same account and sign-in.</p>
          <DataTable
            rows={list}
            rowKey={(i) => i.id}
            columns={[
              ['Organisation', (i) => orgLabel(i.org)],
              ['Role offered', (i) => i.role],
              ['Sent', (i) => time(i.createdAt)],
              ['Expires', (i) => time(i.expiresAt)],
              [
                '',
                (i) => (
                  <>
                    <button type="button" className="small" disabled={action.busy} onClick={() => answer(i, 'accept')} aria-label={`Accept the invitation to ${orgLabel(i.org)}`}>
                      Accept
                    </button>{' '}
                    <button type="button" className="small danger" disabled={action.busy} onClick={() => answer(i, 'decline')} aria-label={`Decline the invitation to ${orgLabel(i.org)}`}>
                      Decline
                    </button>
                  </>
                ),
              ],
            ]}
          />
        </>
      )}
    </section>
  )
}
