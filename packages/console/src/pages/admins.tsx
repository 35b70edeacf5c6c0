/**
 * Console admins of the org and their roles (owner, admin, helpdesk,
 * read-only). Existing accounts are invited (admin-add-form.tsx); the page
 * then says only what the server said: an invitation was left, whether or
 * not such an account exists.
 */
import { useState } from 'react'
import { api, seg } from '../api/http'
import type { OrgAdmin, SentInvitation } from '../api/types'
import { DataTable } from '../ui/data-table'
import { time } from '../ui/format'
import { Loaded } from '../ui/loaded'
import { Badge, Page, Status } from '../ui/parts'
import { RowAction } from '../ui/row-action'
import { useAction } from '../ui/use-action'
import { useOrgGet } from '../ui/use-org-get'
import { AdminAddForm, ROLES } from './admin-add-form'

export function AdminsPage(props: { org: string }) {
  const { org } = props
  const admins = useOrgGet(org, '/admins', (r: { admins: OrgAdmin[] }) => r.admins)
  const action = useAction()
  const [adding, setAdding] = useState(false)
  const [sent, setSent] = useState<SentInvitation | undefined>(undefined)
  const patch = (a: OrgAdmin, change: Record<string, string>): void => {
    void action.run(() => api('PATCH', `/v1/orgs/${seg(org)}/admins/${seg(a.id)}`, { ...change, version: a.version })).then((ok) => ok && admins.reload())
  }
  return (
    <Page
      title="Admins and roles"
      actions={
        <button
          type="button"
          onClick={() => {
            setAdding(!adding)
            setSent(undefined)
          }}
          aria-expanded={adding}
        >
          Add an admin
        </button>
      }
    >
      <p className="muted">
        Roles govern the console and API. Signing commands also needs a key in the org root: a role alone can draft, never run.
      </p>
      {sent !== undefined ? (
        <div className="notice" role="status" data-testid="invitation-sent">
          Invitation sent to <strong>{sent.identifier}</strong> as {sent.role} (if such an account exists, it appears in their console). It
          expires {time(sent.expiresAt)}; the account joins this list once its holder accepts.
        </div>
      ) : null}
      {adding ? (
        <AdminAddForm
          org={org}
          onInvited={(i) => {
            setSent(i)
            setAdding(false)
          }}
          onCreated={() => {
            setAdding(false)
            admins.reload()
          }}
        />
      ) : null}
      <Loaded state={admins} error={action.error}>
        {(list) => (
          <DataTable
            rows={list}
            rowKey={(a) => a.id}
            columns={[
              ['Username', (a) => a.username],
              ['Name', (a) => a.name],
              ['Email', (a) => a.email],
              [
                'Role',
                (a) => (
                  <select aria-label={`Role of ${a.username}`} value={a.role} onChange={(e) => patch(a, { role: e.target.value })}>
                    {ROLES.map((r) => (
                      <option key={r}>{r}</option>
                    ))}
                  </select>
                ),
              ],
              ['MFA', (a) => (a.mfaEnabled === true ? <Badge tone="ok">on</Badge> : <Badge tone="warn">off</Badge>)],
              ['Status', (a) => <Status value={a.status} />],
              [
                '',
                (a) => (
                  <RowAction action={action} danger confirm={`Remove ${a.username}'s role in ${org}?`} run={() => api('DELETE', `/v1/orgs/${seg(org)}/admins/${seg(a.id)}`)} then={admins.reload}>
                    Remove
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
