/** The audit timeline: every change and sign-in, filtered by time, actor, action and result; paged. */
import { useState, type FormEvent } from 'react'
import { api, seg } from '../api/http'
import type { AuditEvent } from '../api/types'
import { DataTable } from '../ui/data-table'
import { time } from '../ui/format'
import { Busy, Empty, ErrorBox, Page, Status } from '../ui/parts'
import { useAsync } from '../ui/use-async'

interface Filters {
  since: string
  until: string
  actor: string
  action: string
  result: string
}
const EMPTY: Filters = { since: '', until: '', actor: '', action: '', result: '' }

function query(f: Filters, cursor: string | undefined): string {
  const q = new URLSearchParams({ limit: '100' })
  if (f.since !== '') q.set('since', String(new Date(f.since).getTime()))
  if (f.until !== '') q.set('until', String(new Date(f.until).getTime()))
  if (f.actor.trim() !== '') q.set('actor', f.actor.trim())
  if (f.action.trim() !== '') q.set('action', f.action.trim())
  if (f.result !== '') q.set('result', f.result)
  if (cursor !== undefined) q.set('cursor', cursor)
  return q.toString()
}

export function AuditPage(props: { org: string }) {
  const { org } = props
  const [draft, setDraft] = useState<Filters>(EMPTY)
  const [filters, setFilters] = useState<Filters>(EMPTY)
  const [pages, setPages] = useState<AuditEvent[][]>([])
  const [cursor, setCursor] = useState<string | null>(null)
  const first = useAsync(async () => {
    const r = await api<{ events: AuditEvent[]; nextCursor: string | null }>('GET', `/v1/orgs/${seg(org)}/audit?${query(filters, undefined)}`)
    setPages([r.events])
    setCursor(r.nextCursor)
    return r
  }, [org, filters])
  const [moreError, setMoreError] = useState<unknown>(undefined)
  const more = async (): Promise<void> => {
    if (cursor === null) return
    try {
      const r = await api<{ events: AuditEvent[]; nextCursor: string | null }>('GET', `/v1/orgs/${seg(org)}/audit?${query(filters, cursor)}`)
      setPages([...pages, r.events])
      setCursor(r.nextCursor)
    } catch (e) {
      setMoreError(e)
    }
  }
  const apply = (e: FormEvent): void => {
    e.preventDefault()
    setFilters(draft)
  }
  const set = (k: keyof Filters) => (e: { target: { value: string } }) => setDraft({ ...draft, [k]: e.target.value })
  const events = pages.flat()
  return (
    <Page title="Audit">
      <form className="card filters" onSubmit={apply} aria-label="Filter the audit trail">
        <label>
          From
          <input type="datetime-local" value={draft.since} onChange={set('since')} />
        </label>
        <label>
          To
          <input type="datetime-local" value={draft.until} onChange={set('until')} />
        </label>
        <label>
          Actor
          <input value={draft.actor} onChange={set('actor')} placeholder="username or key name" />
        </label>
        <label>
          Action
          <input value={draft.action} onChange={set('action')} placeholder="command.sign or session.*" />
        </label>
        <label>
          Result
          <select value={draft.result} onChange={set('result')}>
            <option value="">any</option>
            <option>success</option>
            <option>failure</option>
            <option>denied</option>
          </select>
        </label>
        <button type="submit">Apply</button>
      </form>
      <ErrorBox error={first.error ?? moreError} />
      {first.loading ? <Busy /> : null}
      {!first.loading && events.length === 0 ? <Empty title="No events match." /> : null}
      {events.length > 0 ? (
        <DataTable
          rows={events}
          rowKey={(e) => e.id}
          columns={[
            ['When', (e) => time(e.createdAt)],
            [
              'Actor',
              (e) => (
                <>
                  {e.actorName ?? e.actorId ?? '—'} <span className="muted">({e.actorType})</span>
                </>
              ),
            ],
            ['Action', (e) => <code>{e.action}</code>],
            ['Target', (e) => (e.targetType === null ? '—' : `${e.targetType} ${e.targetId ?? ''}`)],
            [
              'Result',
              (e) => (
                <>
                  <Status value={e.result} /> {e.statusCode}
                </>
              ),
            ],
            ['From', (e) => e.sourceAddr ?? '—'],
          ]}
        />
      ) : null}
      {cursor !== null ? (
        <button type="button" className="ghost" onClick={() => void more()}>
          Older events
        </button>
      ) : null}
    </Page>
  )
}
