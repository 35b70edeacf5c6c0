/**
 * Org settings (MFA enforcement) and the org's root of trust as verified in
 * this browser: current version, admin keys, thresholds, witnesses, log
 * key, and every version in the chain.
 */
import { parseRoot, dsse, rootFingerprint } from '@palisade/protocol'
import { RootFacts } from '../trust/root-facts'
import { DataTable } from '../ui/data-table'
import { api, seg } from '../api/http'
import { loadOrgTrust } from '../trust/org-trust'
import { unpin } from '../trust/pin'
import { TrustBox } from '../trust/trust-box'
import { time } from '../ui/format'
import { Badge, Busy, ErrorBox, Page } from '../ui/parts'
import { useAction } from '../ui/use-action'
import { useAsync } from '../ui/use-async'

export function SettingsPage(props: { org: string }) {
  const { org } = props
  const settings = useAsync(() => api<{ requireMfa: boolean }>('GET', `/v1/orgs/${seg(org)}/settings`), [org])
  const trust = useAsync(() => loadOrgTrust(org), [org])
  const action = useAction()
  const t = trust.data
  const r = t?.current
  const history = (t?.envelopes ?? []).map((e) => {
    const payload = dsse.parseEnvelope(JSON.parse(e)).payload
    const root = parseRoot(payload)
    return { version: root.version, issuedAt: root.issuedAt, admins: root.admins.length, fingerprint: rootFingerprint(payload), frozen: root.frozen }
  })
  return (
    <Page title="Settings and trust root">
      <section className="card" aria-labelledby="settings-title">
        <h2 id="settings-title">Organisation settings</h2>
        {settings.loading && settings.data === undefined ? <Busy /> : null}
        <ErrorBox error={settings.error ?? action.error} />
        {settings.data !== undefined ? (
          <label className="check">
            <input
              type="checkbox"
              checked={settings.data.requireMfa}
              disabled={action.busy}
              onChange={(e) => {
                const requireMfa = e.target.checked
                void action.run(() => api('PATCH', `/v1/orgs/${seg(org)}/settings`, { requireMfa })).then((ok) => ok && settings.reload())
              }}
            />
            Require two-factor authentication for every admin of this organisation
          </label>
        ) : null}
      </section>
      <TrustBox org={org} trust={trust} />
      {r !== undefined ? (
        <section className="card" aria-labelledby="root-title">
          <h2 id="root-title">
            Root v{r.version} {t!.chain.length === 0 ? <Badge tone="bad">as the server claims it — not verified</Badge> : null} {r.frozen ? <Badge tone="bad">frozen</Badge> : null}
          </h2>
          <RootFacts root={r} />
          <h3>History</h3>
          <DataTable
            rows={history}
            rowKey={(h) => h.version}
            columns={[
              [
                'Version',
                (h) => (
                  <>
                    v{h.version} {h.frozen ? <Badge tone="bad">frozen</Badge> : null}
                  </>
                ),
              ],
              ['Issued', (h) => time(h.issuedAt * 1000)],
              ['Admins', (h) => h.admins],
              ['Fingerprint', (h) => <code>{h.fingerprint}</code>],
            ]}
          />
          {t?.pinned !== undefined ? (
            <button
              type="button"
              className="ghost"
              onClick={() => {
                if (confirm('Forget the pinned fingerprint in this browser?')) {
                  unpin(org)
                  trust.reload()
                }
              }}
            >
              Forget the pinned fingerprint
            </button>
          ) : null}
        </section>
      ) : null}
    </Page>
  )
}
