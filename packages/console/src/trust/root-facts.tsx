/**
 * What a root version says, for people: validity, thresholds, witnesses,
 * log, monitors and admin keys. Shown on the settings page (the verified
 * chain's current root) and at setup (the root v1 about to be created).
 */
import { toBase64, type Root } from '@palisade/protocol'
import { time } from '../ui/format'
import { DataTable } from '../ui/data-table'

export function RootFacts(props: { root: Root }) {
  const r = props.root
  return (
    <>
      <dl className="facts">
        <dt>Issued / expires</dt>
        <dd>
          {time(r.issuedAt * 1000)} / {time(r.expiresAt * 1000)}
        </dd>
        <dt>Thresholds</dt>
        <dd>
          {Object.entries(r.thresholds)
            .map(([k, v]) => `${k} ${v} of ${r.admins.length}`)
            .join(' · ')}
        </dd>
        <dt>Witnesses</dt>
        <dd>
          {r.witnesses.quorum} of {r.witnesses.keys.length} must cosign
          <ul>
            {r.witnesses.keys.map((k) => (
              <li key={k}>
                <code>{k}</code>
              </li>
            ))}
          </ul>
        </dd>
        <dt>Log</dt>
        <dd>
          <code>{r.log.origin}</code> · <code>{r.log.key}</code>
        </dd>
        <dt>Longest command window</dt>
        <dd>{r.maxCommandValiditySeconds} s</dd>
        <dt>Monitors</dt>
        <dd>{r.monitors.length === 0 ? 'none' : r.monitors.join(' · ')}</dd>
        <dt>Checkpoint max age</dt>
        <dd>{r.checkpointMaxAgeSeconds === null ? 'none (devices raise no staleness alert)' : `${r.checkpointMaxAgeSeconds / 3600} h`}</dd>
      </dl>
      <h3>Admin keys</h3>
      <DataTable
        rows={r.admins}
        rowKey={(a) => a.id}
        columns={[
          ['Name', (a) => a.name],
          ['Key id', (a) => <code>{a.id}</code>],
          ['Public key', (a) => <code>{toBase64(a.publicKey)}</code>],
        ]}
      />
    </>
  )
}
