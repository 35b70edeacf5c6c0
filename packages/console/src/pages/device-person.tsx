/**
 * Who a device belongs to and which groups it is in (WIRE.md "Directory"),
 * and binding it to a person of the directory or unbinding it
 * (`PUT|DELETE /v1/orgs/:org/devices/:id/person`, permission devices:write).
 */
import { useState, type FormEvent } from 'react'
import { api, seg } from '../api/http'
import type { DeviceDetail, Person } from '../api/types'
import { Link } from '../ui/link'
import { ErrorBox } from '../ui/parts'
import { useAction } from '../ui/use-action'
import { useAsync } from '../ui/use-async'

const PICK_LIMIT = 500

export function DevicePerson(props: { org: string; device: DeviceDetail; onChanged: () => void }) {
  const { org, device } = props
  const personId = device.personId ?? null
  const base = `/v1/orgs/${seg(org)}`
  const person = useAsync(async () => (personId === null ? null : api<Person>('GET', `${base}/people/${seg(personId)}`)), [org, personId])
  const people = useAsync(() => api<{ people: Person[]; nextCursor: string | null }>('GET', `${base}/people?limit=${PICK_LIMIT}&status=active`), [org])
  const action = useAction()
  const [pick, setPick] = useState('')
  const assign = (e: FormEvent): void => {
    e.preventDefault()
    if (pick === '') return
    void action.run(() => api('PUT', `${base}/devices/${seg(device.id)}/person`, { personId: pick })).then((ok) => {
      if (ok) {
        setPick('')
        props.onChanged()
      }
    })
  }
  const unassign = (): void => {
    void action.run(() => api('DELETE', `${base}/devices/${seg(device.id)}/person`)).then((ok) => ok && props.onChanged())
  }
  const groups = device.groups ?? []
  const p = person.data
  return (
    <section className="card" aria-labelledby="person-title">
      <h2 id="person-title">Person and groups</h2>
      <dl className="facts">
        <dt>Assigned to</dt>
        <dd data-testid="device-person">
          {personId === null ? <span className="muted">nobody yet</span> : p ? `${p.name} (${p.username}, ${p.email})` : personId}
          {personId !== null ? (
            <>
              {' '}
              <button type="button" className="small" disabled={action.busy} onClick={unassign}>
                Unassign
              </button>
            </>
          ) : null}
        </dd>
        <dt>Groups</dt>
        <dd data-testid="device-groups">
          {groups.length === 0 ? (
            <span className="muted">
              none — add it to a device group under <Link to={`/orgs/${seg(org)}/groups`}>Groups</Link>
            </span>
          ) : (
            groups.map((g) => g.name).join(', ')
          )}
        </dd>
      </dl>
      <form className="inline" onSubmit={assign} aria-label="Assign to a person">
        <label>
          {personId === null ? 'Assign to' : 'Reassign to'}
          <select value={pick} onChange={(e) => setPick(e.target.value)} aria-label={personId === null ? 'Assign to' : 'Reassign to'}>
            <option value="">choose a person…</option>
            {(people.data?.people ?? [])
              .filter((x) => x.id !== personId)
              .map((x) => (
                <option key={x.id} value={x.id}>
                  {x.name} ({x.username})
                </option>
              ))}
          </select>
        </label>
        <button type="submit" disabled={action.busy || pick === ''}>
          Assign
        </button>
      </form>
      {people.data?.nextCursor ? <p className="muted">Only the first {PICK_LIMIT} people are listed.</p> : null}
      {people.data?.people.length === 0 ? (
        <p className="muted">
          The directory has nobody to assign yet: add people under <Link to={`/orgs/${seg(org)}/people`}>People</Link>.
        </p>
      ) : null}
      <ErrorBox error={action.error ?? person.error ?? people.error} />
    </section>
  )
}
