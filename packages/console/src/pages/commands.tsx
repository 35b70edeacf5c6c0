/** Commands: newest first, with signatures collected and progress; live. */
import { seg } from '../api/http'
import type { CommandSummary } from '../api/types'
import { DataTable } from '../ui/data-table'
import { time } from '../ui/format'
import { Link } from '../ui/link'
import { Loaded } from '../ui/loaded'
import { Empty, Page, Status } from '../ui/parts'
import { useOrgGet } from '../ui/use-org-get'

export function CommandsPage(props: { org: string }) {
  const { org } = props
  const commands = useOrgGet(org, '/commands', (r: { commands: CommandSummary[] }) => r.commands, ['command'])
  const newCommand = `/orgs/${seg(org)}/commands/new`
  return (
    <Page title="Commands" actions={<Link className="button" to={newCommand}>New command</Link>}>
      <Loaded
        state={commands}
        empty={(list) =>
          list.length === 0 && (
            <Empty title="No commands yet.">
              <p>
                Draft one with <Link to={newCommand}>New command</Link>; it runs only once enough admins have signed it.
              </p>
            </Empty>
          )
        }
      >
        {(list) => (
          <DataTable
            rows={list}
            rowKey={(c) => c.id}
            columns={[
              ['Command', (c) => <Link to={`/orgs/${seg(org)}/commands/${seg(c.id)}`}>{c.id}</Link>],
              ['Drafted', (c) => time(c.createdAt)],
              ['Status', (c) => <Status value={c.status} />],
              ['Signatures', (c) => `${c.signatures} of ${c.threshold}`],
              [
                'Devices answered',
                (c) => (
                  <>
                    <progress max={Math.max(c.targets, 1)} value={c.done} aria-label={`${c.done} of ${c.targets} devices answered`} /> {c.done} / {c.targets}
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
