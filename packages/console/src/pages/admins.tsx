/** Console admins of the org and their roles (owner, admin, helpdesk, read-only). */
import { useState, type FormEvent } from 'react'
import { api, seg } from '../api/http'
import type { OrgAdmin, Role } from '../api/types'
import { DataTable } from '../ui/data-table'
import { Loaded } from '../ui/loaded'
import { Badge, Page, Status } from '../ui/parts'
import { RowAction } from '../ui/row-action'
import { useAction } from '../ui/use-action'
import { useOrgGet } from '../ui/use-org-get'

const ROLES: readonly Role[] = ['owner', 'admin', 'helpdesk', 'read-only']

export function AdminsPage(props: { org: string }) {
  const { org } = props
  const admins = useOrgGet(org, '/admins', (r: { admins: OrgAdmin[] }) => r.admins)
  const action = useAction()
  const [adding, setAdding] = useState(false)
  const [form, setForm] = useState({ username: '', email: '', name: '', password: '', role: 'read-only' as Role })
  const add = async (e: FormEvent): Promise<void> => {
    e.preventDefault()
    // an existing account (an MSP operator) is added by username alone
    const body = form.password === '' ? { username: form.username, role: form.role } : form
    if (await action.run(() => api('POST', `/v1/orgs/${seg(org)}/admins`, body))) {
      setForm({ username: '', email: '', name: '', password: '', role: 'read-only' })
      setAdding(false)
      admins.reload()
    }
  }
  const patch = (a: OrgAdmin, change: Record<string, string>): void => {
    void action.run(() => api('PATCH', `/v1/orgs/${seg(org)}/admins/${seg(a.id)}`, { ...change, version: a.version })).then((ok) => ok && admins.reload())
  }
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value })
  return (
    <Page title="Admins and roles" actions={<button type="button" onClick={() => setAdding(!adding)} aria-expanded={adding}>Add an admin</button>}>
      <p className="muted">
        Roles govern the console and API. Signing commands also needs a key in the org root: a role alone can draft, never run.
      </p>
      {adding ? (
        <form className="card form" onSubmit={(e) => void add(e)} aria-label="Add an admin">
          <div className="row">
            <label>
              Username
              <input required value={form.username} onChange={set('username')} />
            </label>
            <label>
              Role
              <select value={form.role} onChange={set('role')}>
                {ROLES.map((r) => (
                  <option key={r}>{r}</option>
                ))}
              </select>
            </label>
          </div>
          <p className="muted">For a new account fill in the rest; leave the password empty to give an existing account a role here.</p>
          <div className="row">
            <label>
              Email
              <input type="email" value={form.email} onChange={set('email')} />
            </label>
            <label>
              Name
              <input value={form.name} onChange={set('name')} />
            </label>
            <label>
              Initial password
              <input type="password" autoComplete="new-password" value={form.password} onChange={set('password')} />
            </label>
          </div>
          <button type="submit" disabled={action.busy}>
            Add
          </button>
        </form>
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
