/** People of the org's directory: search, add, suspend/activate, delete. */
import { useState, type FormEvent } from 'react'
import { api, seg } from '../api/http'
import type { Person } from '../api/types'
import { DataTable } from '../ui/data-table'
import { Loaded } from '../ui/loaded'
import { Badge, Empty, Page, Status } from '../ui/parts'
import { RowAction } from '../ui/row-action'
import { useAction } from '../ui/use-action'
import { useOrgGet } from '../ui/use-org-get'

export function PeoplePage(props: { org: string }) {
  const { org } = props
  const [q, setQ] = useState('')
  const [query, setQuery] = useState('')
  const people = useOrgGet(org, `/people?limit=200${query === '' ? '' : `&q=${encodeURIComponent(query)}`}`, (r: { people: Person[] }) => r.people)
  const action = useAction()
  const [form, setForm] = useState({ username: '', email: '', name: '' })
  const [adding, setAdding] = useState(false)
  const add = async (e: FormEvent): Promise<void> => {
    e.preventDefault()
    if (await action.run(() => api('POST', `/v1/orgs/${seg(org)}/people`, form))) {
      setForm({ username: '', email: '', name: '' })
      setAdding(false)
      people.reload()
    }
  }
  const url = (p: Person): string => `/v1/orgs/${seg(org)}/people/${seg(p.id)}`
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value })
  return (
    <Page title="People" actions={<button type="button" onClick={() => setAdding(!adding)} aria-expanded={adding}>Add a person</button>}>
      {adding ? (
        <form className="card form" onSubmit={(e) => void add(e)} aria-label="Add a person">
          <div className="row">
            <label>
              Username
              <input required value={form.username} onChange={set('username')} pattern="[a-z_][a-z0-9._\-]{0,31}" />
            </label>
            <label>
              Email
              <input required type="email" value={form.email} onChange={set('email')} />
            </label>
            <label>
              Name
              <input required value={form.name} onChange={set('name')} />
            </label>
          </div>
          <button type="submit" disabled={action.busy}>
            Add
          </button>
        </form>
      ) : null}
      <form className="toolbar" onSubmit={(e) => (e.preventDefault(), setQuery(q.trim()))} role="search">
        <input type="search" aria-label="Search people" placeholder="Search name, username, email" value={q} onChange={(e) => setQ(e.target.value)} />
        <button type="submit" className="ghost">
          Search
        </button>
      </form>
      <Loaded
        state={people}
        error={action.error}
        empty={(list) => list.length === 0 && <Empty title={query === '' ? 'No people yet: add the first with “Add a person”.' : 'Nobody matches.'} />}
      >
        {(list) => (
          <DataTable
            rows={list}
            rowKey={(p) => p.id}
            columns={[
              ['Username', (p) => p.username],
              ['Name', (p) => p.name],
              ['Email', (p) => p.email],
              ['Status', (p) => <Status value={p.status} />],
              ['SSH keys', (p) => (p.sshKeys.length > 0 ? <Badge tone="info">{p.sshKeys.length}</Badge> : '—')],
              [
                '',
                (p) => (
                  <>
                    <RowAction
                      action={action}
                      run={() => api('PATCH', url(p), { version: p.version, status: p.status === 'active' ? 'suspended' : 'active' })}
                      then={people.reload}
                    >
                      {p.status === 'active' ? 'Suspend' : 'Activate'}
                    </RowAction>
                    <RowAction
                      action={action}
                      danger
                      confirm={`Delete ${p.username}? Their group memberships go, and their devices are unbound.`}
                      run={() => api('DELETE', url(p))}
                      then={people.reload}
                    >
                      Delete
                    </RowAction>
                  </>
                ),
              ],
            ]}
          />
        )}
      </Loaded>
    </Page>
  )
}
