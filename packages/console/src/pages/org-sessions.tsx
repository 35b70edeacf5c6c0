/** Console sessions of the org's admins (owner/admin view), each revocable. */
import { api, seg } from '../api/http'
import type { SessionView } from '../api/types'
import { DataTable } from '../ui/data-table'
import { ago, time } from '../ui/format'
import { Loaded } from '../ui/loaded'
import { Empty, Page } from '../ui/parts'
import { RowAction } from '../ui/row-action'
import { useAction } from '../ui/use-action'
import { useOrgGet } from '../ui/use-org-get'

export function OrgSessionsPage(props: { org: string }) {
  const { org } = props
  const sessions = useOrgGet(org, '/sessions', (r: { sessions: SessionView[] }) => r.sessions)
  const action = useAction()
  return (
    <Page title="Sessions">
      <Loaded state={sessions} error={action.error} empty={(list) => list.length === 0 && <Empty title="No open sessions." />}>
        {(list) => (
          <DataTable
            rows={list}
            rowKey={(s) => s.id}
            columns={[
              ['Admin', (s) => s.username ?? s.adminId ?? '—'],
              ['Started', (s) => time(s.createdAt)],
              ['Last seen', (s) => ago(s.lastSeenAt)],
              ['Expires', (s) => time(s.expiresAt)],
              ['From', (s) => s.sourceAddr ?? '—'],
              [
                '',
                (s) => (
                  <RowAction action={action} danger run={() => api('DELETE', `/v1/orgs/${seg(org)}/sessions/${seg(s.id)}`)} then={sessions.reload}>
                    Revoke
                  </RowAction>
                ),
              ],
            ]}
          />
        )}
      </Loaded>
    </Page>
  )
}
