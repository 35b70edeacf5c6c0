/** Alerts: device rejections and gateway refusals, newest first, live. */
import { seg } from '../api/http'
import type { Alert } from '../api/types'
import { DataTable } from '../ui/data-table'
import { time } from '../ui/format'
import { Link } from '../ui/link'
import { Loaded } from '../ui/loaded'
import { Badge, Empty, Page } from '../ui/parts'
import { useOrgGet } from '../ui/use-org-get'

export function AlertsPage(props: { org: string }) {
  const { org } = props
  const alerts = useOrgGet(org, '/alerts', (r: { alerts: Alert[] }) => [...r.alerts].sort((a, b) => b.createdAt - a.createdAt), ['alert'])
  return (
    <Page title="Alerts">
      <Loaded
        state={alerts}
        empty={(list) =>
          list.length === 0 && (
            <Empty title="No alerts.">
              <p>A device that refuses a command raises one here at once: a refusal is the strongest sign that the server was tampered with.</p>
            </Empty>
          )
        }
      >
        {(list) => (
          <DataTable
            rows={list}
            rowKey={(a) => a.id}
            columns={[
              ['When', (a) => time(a.createdAt)],
              ['Code', (a) => <Badge tone="bad">{a.code}</Badge>],
              ['Device', (a) => (a.deviceId === null ? '—' : <Link to={`/orgs/${seg(org)}/devices/${seg(a.deviceId)}`}>{a.deviceId}</Link>)],
              ['Command', (a) => (a.commandId === null ? '—' : <Link to={`/orgs/${seg(org)}/commands/${seg(a.commandId)}`}>{a.commandId}</Link>)],
              ['Message', (a) => a.message],
            ]}
          />
        )}
      </Loaded>
    </Page>
  )
}
