/**
 * One device: its state, full inventory, the commands sent to it with
 * their outcome, and the alerts it raised (rejections first of all: a
 * device refusing a command is the strongest sign of a breached server).
 */
import { api, seg } from '../api/http'
import type { Alert, CommandDetail, CommandSummary, DeviceDetail } from '../api/types'
import { useOrgEvents } from '../live/org-events'
import { ago, time } from '../ui/format'
import { JsonTree } from '../ui/inventory'
import { Link } from '../ui/link'
import { DataTable } from '../ui/data-table'
import { Loaded } from '../ui/loaded'
import { Badge, Empty, Page, Status } from '../ui/parts'
import { useAsync } from '../ui/use-async'
import { useOrgGet } from '../ui/use-org-get'
import { DevicePerson } from './device-person'

/** Commands that targeted `deviceId`, newest first (the API has no per-device index yet: the last 50 commands are looked at). */
async function deviceHistory(org: string, deviceId: string): Promise<{ id: string; createdAt: number; status: string; delivery: string; exitCode: number | null }[]> {
  const { commands } = await api<{ commands: CommandSummary[] }>('GET', `/v1/orgs/${seg(org)}/commands?limit=50`)
  const details = await Promise.all(commands.map((c) => api<CommandDetail>('GET', `/v1/orgs/${seg(org)}/commands/${seg(c.id)}`).then((d) => [c, d] as const)))
  const out: { id: string; createdAt: number; status: string; delivery: string; exitCode: number | null }[] = []
  for (const [c, d] of details) {
    const delivery = d.deliveries.find((x) => x.deviceId === deviceId)
    if (delivery === undefined) continue
    const result = d.results.find((r) => r.deviceId === deviceId)
    out.push({ id: c.id, createdAt: c.createdAt, status: c.status, delivery: delivery.status, exitCode: result?.exitCode ?? null })
  }
  return out
}

export function DevicePage(props: { org: string; id: string }) {
  const { org, id } = props
  const device = useOrgGet(org, `/devices/${seg(id)}`, (d: DeviceDetail) => d)
  const history = useAsync(() => deviceHistory(org, id), [org, id])
  const alerts = useOrgGet(org, '/alerts', (r: { alerts: Alert[] }) => r.alerts.filter((a) => a.deviceId === id), ['alert'])
  useOrgEvents(org, ['device'], (e) => {
    if (e.id === undefined || e.id === id) device.reload()
  })
  useOrgEvents(org, ['command'], () => history.reload())
  const d = device.data
  return (
    <Page title={d?.hostname ?? id}>
      <p>
        <Link to={`/orgs/${seg(org)}/devices`}>← Devices</Link>
      </p>
      <Loaded state={device}>
        {(d) => (
          <>
            <section className="card">
              <dl className="facts">
                <dt>State</dt>
                <dd>{d.online ? <Badge tone="ok">online</Badge> : <Badge tone="muted">offline, last seen {ago(d.lastSeenAt)}</Badge>}</dd>
                <dt>Device id</dt>
                <dd>
                  <code>{d.id}</code>
                </dd>
                <dt>OS</dt>
                <dd>{d.os ?? '—'}</dd>
                <dt>Enrolled</dt>
                <dd>{time(d.enrolledAt)}</dd>
                <dt>Device key</dt>
                <dd>
                  <code>{d.publicKey}</code>
                </dd>
              </dl>
            </section>
            <DevicePerson org={org} device={d} onChanged={device.reload} />
          </>
        )}
      </Loaded>
      <section className="card" aria-labelledby="alerts-title">
        <h2 id="alerts-title">Rejections and alerts</h2>
        <Loaded state={alerts} empty={(list) => list.length === 0 && <p className="muted">None: this device accepted every command it was sent.</p>}>
          {(list) => (
            <ul className="alerts">
              {list.map((a) => (
                <li key={a.id}>
                  <Badge tone="bad">{a.code}</Badge> {a.message} <span className="muted">{time(a.createdAt)}</span>
                </li>
              ))}
            </ul>
          )}
        </Loaded>
      </section>
      <section className="card" aria-labelledby="history-title">
        <h2 id="history-title">Command history</h2>
        <Loaded state={history} busyLabel="Loading commands…" empty={(list) => list.length === 0 && <Empty title="No command has targeted this device yet." />}>
          {(list) => (
            <DataTable
              rows={list}
              rowKey={(h) => h.id}
              columns={[
                ['Command', (h) => <Link to={`/orgs/${seg(org)}/commands/${seg(h.id)}`}>{h.id}</Link>],
                ['Drafted', (h) => time(h.createdAt)],
                ['Command status', (h) => <Status value={h.status} />],
                ['On this device', (h) => <Status value={h.delivery} />],
                ['Exit code', (h) => h.exitCode ?? '—'],
              ]}
            />
          )}
        </Loaded>
      </section>
      <section className="card" aria-labelledby="inv-title">
        <h2 id="inv-title">Inventory</h2>
        {d !== undefined ? (
          <>
            <p className="muted">Reported by the device {ago(d.inventoryAt)}.</p>
            <JsonTree value={d.inventory} />
          </>
        ) : null}
      </section>
    </Page>
  )
}
