/**
 * Devices: searchable, sortable, live (a device connecting or leaving
 * updates the list), with the enrollment panel as the next step when the
 * org has none.
 */
import { useMemo, useState } from 'react'
import { seg } from '../api/http'
import type { DeviceSummary } from '../api/types'
import { ago } from '../ui/format'
import { Link } from '../ui/link'
import { Badge, Busy, Empty, ErrorBox, Page } from '../ui/parts'
import { DataTable } from '../ui/data-table'
import { useSort } from '../ui/sort'
import { useOrgGet } from '../ui/use-org-get'
import { EnrollPanel } from './enroll-panel'

type Key = 'hostname' | 'os' | 'lastSeenAt' | 'online'

export function DevicesPage(props: { org: string }) {
  const { org } = props
  const devices = useOrgGet(org, '/devices', (r: { devices: DeviceSummary[] }) => r, ['device'])
  const [q, setQ] = useState('')
  const [showEnroll, setShowEnroll] = useState(false)
  const sort = useSort<Key>('hostname')
  const rows = useMemo(() => {
    const needle = q.trim().toLowerCase()
    const list = (devices.data?.devices ?? []).filter(
      (d) => needle === '' || [d.hostname, d.id, d.os ?? ''].some((v) => v.toLowerCase().includes(needle)),
    )
    return sort.apply(list, (d, k) => (k === 'online' ? (d.online ? 1 : 0) : k === 'lastSeenAt' ? (d.lastSeenAt ?? 0) : (d[k] ?? '')))
  }, [devices.data, q, sort])

  const total = devices.data?.devices.length ?? 0
  return (
    <Page
      title="Devices"
      actions={
        <button type="button" onClick={() => setShowEnroll(!showEnroll)} aria-expanded={showEnroll}>
          Enroll a device
        </button>
      }
    >
      {showEnroll || (devices.data !== undefined && total === 0) ? <EnrollPanel org={org} /> : null}
      {devices.loading && devices.data === undefined ? <Busy /> : null}
      <ErrorBox error={devices.error} />
      {devices.data !== undefined && total === 0 ? (
        <Empty title="No devices yet.">
          <p>Create an install command above and run it on a machine: it shows up here live as soon as its agent connects.</p>
        </Empty>
      ) : null}
      {total > 0 ? (
        <>
          <div className="toolbar">
            <label>
              <span className="sr-only">Search devices</span>
              <input type="search" placeholder="Search hostname, id, OS" value={q} onChange={(e) => setQ(e.target.value)} aria-label="Search devices" />
            </label>
            <span className="muted">
              {rows.length} of {total} · {devices.data!.devices.filter((d) => d.online).length} online
            </span>
          </div>
          <DataTable
            rows={rows}
            rowKey={(d) => d.id}
            sort={sort}
            columns={[
              ['Hostname', (d) => <Link to={`/orgs/${seg(org)}/devices/${seg(d.id)}`}>{d.hostname}</Link>, 'hostname'],
              ['OS', (d) => d.os ?? '—', 'os'],
              ['Last seen', (d) => (d.online ? 'now' : ago(d.lastSeenAt)), 'lastSeenAt'],
              ['State', (d) => (d.online ? <Badge tone="ok">online</Badge> : <Badge tone="muted">offline</Badge>), 'online'],
              ['Id', (d) => <code>{d.id}</code>],
            ]}
          />
        </>
      ) : null}
    </Page>
  )
}
