/** User and device groups, with their members; add and remove members. */
import { useState, type FormEvent } from 'react'
import { api, seg } from '../api/http'
import type { DeviceSummary, Group, Person } from '../api/types'
import { DataTable } from '../ui/data-table'
import { Loaded } from '../ui/loaded'
import { Busy, Empty, ErrorBox, Page } from '../ui/parts'
import { RowAction } from '../ui/row-action'
import { useAction } from '../ui/use-action'
import { useAsync } from '../ui/use-async'
import { useOrgGet } from '../ui/use-org-get'

interface GroupDetail extends Group {
  readonly members?: readonly { id: string; name?: string; username?: string; hostname?: string }[]
}

export function GroupsPage(props: { org: string }) {
  const { org } = props
  const groups = useOrgGet(org, '/groups', (r: { groups: Group[] }) => r.groups)
  const action = useAction()
  const [form, setForm] = useState<{ kind: 'user' | 'device'; name: string }>({ kind: 'device', name: '' })
  const [open, setOpen] = useState<string | undefined>(undefined)
  const add = async (e: FormEvent): Promise<void> => {
    e.preventDefault()
    if (await action.run(() => api('POST', `/v1/orgs/${seg(org)}/groups`, form))) {
      setForm({ ...form, name: '' })
      groups.reload()
    }
  }
  return (
    <Page title="Groups">
      <form className="card inline" onSubmit={(e) => void add(e)} aria-label="Create a group">
        <label>
          Kind
          <select value={form.kind} onChange={(e) => setForm({ ...form, kind: e.target.value as 'user' | 'device' })}>
            <option value="device">device group</option>
            <option value="user">user group</option>
          </select>
        </label>
        <label>
          Name
          <input required maxLength={100} value={form.name} onChange={(e) => setForm({ ...form, name: e.target.value })} />
        </label>
        <button type="submit" disabled={action.busy}>
          Create group
        </button>
      </form>
      <Loaded state={groups} error={action.error} empty={(list) => list.length === 0 && <Empty title="No groups yet. Device groups let you target commands at a set of machines." />}>
        {(list) => (
          <DataTable
            rows={list}
            rowKey={(g) => g.id}
            columns={[
              ['Name', (g) => g.name],
              ['Kind', (g) => g.kind],
              ['Members', (g) => g.memberCount ?? '—'],
              [
                '',
                (g) => (
                  <>
                    <button type="button" className="small" onClick={() => setOpen(open === g.id ? undefined : g.id)} aria-expanded={open === g.id}>
                      Members
                    </button>
                    <RowAction action={action} danger confirm={`Delete group ${g.name}?`} run={() => api('DELETE', `/v1/orgs/${seg(org)}/groups/${seg(g.id)}`)} then={groups.reload}>
                      Delete
                    </RowAction>
                  </>
                ),
              ],
            ]}
          />
        )}
      </Loaded>
      {open !== undefined ? <Members org={org} id={open} onChanged={groups.reload} /> : null}
    </Page>
  )
}

function Members(props: { org: string; id: string; onChanged: () => void }) {
  const { org, id } = props
  const group = useAsync(() => api<GroupDetail>('GET', `/v1/orgs/${seg(org)}/groups/${seg(id)}`), [org, id])
  const candidates = useAsync(async () => {
    const g = await api<GroupDetail>('GET', `/v1/orgs/${seg(org)}/groups/${seg(id)}`)
    if (g.kind === 'device') return (await api<{ devices: DeviceSummary[] }>('GET', `/v1/orgs/${seg(org)}/devices`)).devices.map((d) => ({ id: d.id, label: d.hostname }))
    return (await api<{ people: Person[] }>('GET', `/v1/orgs/${seg(org)}/people?limit=500`)).people.map((p) => ({ id: p.id, label: p.username }))
  }, [org, id])
  const action = useAction()
  const [pick, setPick] = useState('')
  const change = (method: 'PUT' | 'DELETE', member: string): void => {
    void action.run(() => api(method, `/v1/orgs/${seg(org)}/groups/${seg(id)}/members/${seg(member)}`)).then((ok) => {
      if (ok) {
        group.reload()
        props.onChanged()
      }
    })
  }
  const g = group.data
  return (
    <section className="card" aria-labelledby="members-title">
      <h2 id="members-title">Members of {g?.name ?? '…'}</h2>
      {group.loading && g === undefined ? <Busy /> : null}
      <ErrorBox error={group.error ?? action.error} />
      <form
        className="inline"
        onSubmit={(e) => {
          e.preventDefault()
          if (pick !== '') change('PUT', pick)
        }}
      >
        <label>
          Add
          <select value={pick} onChange={(e) => setPick(e.target.value)}>
            <option value="">choose…</option>
            {(candidates.data ?? []).map((c) => (
              <option key={c.id} value={c.id}>
                {c.label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={action.busy || pick === ''}>
          Add member
        </button>
      </form>
      <ul>
        {(g?.members ?? []).map((m) => (
          <li key={m.id}>
            {m.hostname ?? m.username ?? m.name ?? m.id}{' '}
            <button type="button" className="small" onClick={() => change('DELETE', m.id)}>
              Remove
            </button>
          </li>
        ))}
      </ul>
      {g !== undefined && (g.members ?? []).length === 0 ? <p className="muted">No members yet.</p> : null}
    </section>
  )
}
