/**
 * A command's approval page and its progress.
 *
 * Approval shows exactly the bytes being signed, decoded in the browser by
 * protocol's own parser (the same one devices run): script, interpreter,
 * run-as, timeout, targets and window, plus their SHA-256 and the raw
 * canonical JSON. The signature is made here with WebCrypto Ed25519 over
 * DSSE PAE(payload type, those bytes), with a key from this browser's key
 * store, and only when the org root is verified from the pinned
 * fingerprint and names that key as an admin. Then: live per-device
 * progress and each device's (device-signed) result.
 */
import { COMMAND_PAYLOAD_TYPE, dsse, equalBytes, formatCommandPayload, fromBase64, parseCommandPayload, toBase64, toHex, type CommandPayload } from '@palisade/protocol'
import { useMemo, useState } from 'react'
import { api, seg } from '../api/http'
import type { CommandDetail, DeviceSummary } from '../api/types'
import { listKeys, type StoredKey } from '../crypto/key-store'
import { signWith } from '../crypto/ed25519-key'
import { useOrgEvents } from '../live/org-events'
import { loadOrgTrust } from '../trust/org-trust'
import { TrustBox } from '../trust/trust-box'
import { time } from '../ui/format'
import { Link } from '../ui/link'
import { Badge, Busy, ErrorBox, Page, Status } from '../ui/parts'
import { useAsync } from '../ui/use-async'

const sha256Hex = async (b: Uint8Array): Promise<string> => toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', b as BufferSource)))

export function CommandPage(props: { org: string; id: string }) {
  const { org, id } = props
  const command = useAsync(() => api<CommandDetail>('GET', `/v1/orgs/${seg(org)}/commands/${seg(id)}`), [org, id])
  const devices = useAsync(() => api<{ devices: DeviceSummary[] }>('GET', `/v1/orgs/${seg(org)}/devices`), [org])
  const trust = useAsync(() => loadOrgTrust(org), [org])
  const keys = useAsync(() => listKeys(), [])
  useOrgEvents(org, ['command'], (e) => {
    if (e.id === undefined || e.id === id) command.reload()
  })
  const c = command.data
  const decoded = useAsync(async () => {
    if (c === undefined) return undefined
    const bytes = fromBase64(c.payload, 'payload')
    const payload = parseCommandPayload(bytes)
    if (!equalBytes(formatCommandPayload(payload), bytes)) throw new Error('the payload is not in canonical form: devices would refuse it')
    if (payload.org !== org) throw new Error(`the payload names org ${payload.org}, not ${org}`)
    if (payload.id !== id) throw new Error(`the payload is command ${payload.id}, not ${id}`)
    return { bytes, payload, digest: await sha256Hex(bytes), text: new TextDecoder().decode(bytes) }
  }, [c?.payload])
  const hostnames = useMemo(() => new Map((devices.data?.devices ?? []).map((d) => [d.id, d.hostname])), [devices.data])

  return (
    <Page title={`Command ${id}`}>
      <p>
        <Link to={`/orgs/${seg(org)}/commands`}>← Commands</Link>
      </p>
      {command.loading && c === undefined ? <Busy /> : null}
      <ErrorBox error={command.error ?? decoded.error} />
      {c !== undefined ? (
        <p>
          Status <Status value={c.status} /> · {c.signatures.length} of {c.threshold} signatures
          {c.signatures.length > 0 ? ` (${c.signatures.map((s) => s.name ?? s.keyid).join(', ')})` : ''}
          {c.logIndex !== null ? ` · log entry ${c.logIndex}` : ''}
        </p>
      ) : null}
      <TrustBox org={org} trust={trust} />
      {decoded.data !== undefined ? <Payload payload={decoded.data.payload} digest={decoded.data.digest} text={decoded.data.text} hostnames={hostnames} /> : null}
      {c !== undefined && decoded.data !== undefined && c.status === 'awaiting-signatures' ? (
        <SignPanel org={org} command={c} bytes={decoded.data.bytes} trust={trust.data} keys={keys.data ?? []} onSigned={command.reload} />
      ) : null}
      {c !== undefined && c.deliveries.length > 0 ? <Progress command={c} hostnames={hostnames} org={org} /> : null}
    </Page>
  )
}

function Payload(props: { payload: CommandPayload; digest: string; text: string; hostnames: Map<string, string> }) {
  const p = props.payload
  const t = p.targets
  return (
    <section className="card" aria-labelledby="payload-title">
      <h2 id="payload-title">What you sign</h2>
      <dl className="facts" data-testid="payload">
        <dt>Script</dt>
        <dd>
          <pre className="script">{p.script}</pre>
        </dd>
        <dt>Interpreter</dt>
        <dd>
          <code>{p.interpreter}</code>
        </dd>
        <dt>Runs as</dt>
        <dd>
          <code>{p.runAs}</code>
        </dd>
        <dt>Timeout</dt>
        <dd>{p.timeoutSeconds} s</dd>
        <dt>Targets</dt>
        <dd>
          {t.kind === 'all' ? (
            <strong>every device of the org, now and enrolled later within the window</strong>
          ) : t.kind === 'devices' ? (
            <ul className="targets">
              {t.ids.map((d) => (
                <li key={d}>
                  {props.hostnames.get(d) ?? <span className="bad">unknown device</span>} <code>{d}</code>
                </li>
              ))}
            </ul>
          ) : (
            <>
              {t.count} devices committed by Merkle root <code>{toBase64(t.root)}</code>
            </>
          )}
        </dd>
        <dt>Not before</dt>
        <dd>
          {time(p.notBefore * 1000)} <span className="muted">({new Date(p.notBefore * 1000).toISOString()})</span>
        </dd>
        <dt>Not after</dt>
        <dd>
          {time(p.notAfter * 1000)} <span className="muted">({new Date(p.notAfter * 1000).toISOString()})</span>
        </dd>
        <dt>Org / id</dt>
        <dd>
          <code>
            {p.org} / {p.id}
          </code>
        </dd>
        <dt>Payload SHA-256</dt>
        <dd>
          <code data-testid="payload-sha256">{props.digest}</code>
        </dd>
      </dl>
      <details>
        <summary>The exact bytes (RFC 8785 JSON)</summary>
        <pre className="raw">{props.text}</pre>
      </details>
    </section>
  )
}

function SignPanel(props: {
  org: string
  command: CommandDetail
  bytes: Uint8Array
  trust: Awaited<ReturnType<typeof loadOrgTrust>> | undefined
  keys: readonly StoredKey[]
  onSigned: () => void
}) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(undefined)
  const { trust, command } = props
  const verified = trust !== undefined && trust.chain.length > 0
  const admins = verified ? trust.current.admins : []
  const usable = props.keys.filter((k) => admins.some((a) => a.id === k.keyid && toBase64(a.publicKey) === k.publicKey))
  const signedIds = new Set(command.signatures.map((s) => s.keyid))

  const sign = async (k: StoredKey): Promise<void> => {
    setBusy(true)
    setError(undefined)
    try {
      const sig = await signWith(k.key, dsse.pae(COMMAND_PAYLOAD_TYPE, props.bytes))
      await api('POST', `/v1/orgs/${seg(props.org)}/commands/${seg(command.id)}/signatures`, { keyid: k.keyid, sig: toBase64(sig) })
      props.onSigned()
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  return (
    <section className="card" aria-labelledby="sign-title">
      <h2 id="sign-title">Approve</h2>
      {!verified ? (
        <p className="bad">Signing is disabled until the org root is verified from a pinned fingerprint (above).</p>
      ) : usable.length === 0 ? (
        <p>
          None of this browser's keys is an admin key of root v{trust.current.version}.{' '}
          <Link to={`/orgs/${seg(props.org)}/keys`}>Import your key file or create a key</Link>.
        </p>
      ) : (
        <>
          <p>
            Root v{trust.current.version} needs {trust.current.thresholds.command} admin signatures for a command. Your signature covers exactly the
            payload above (SHA-256 shown).
          </p>
          <div className="row">
            {usable.map((k) => (
              <button key={k.keyid} type="button" disabled={busy || signedIds.has(k.keyid)} onClick={() => void sign(k)}>
                {signedIds.has(k.keyid) ? `Signed as ${k.name}` : `Approve and sign as ${k.name}`}
              </button>
            ))}
          </div>
        </>
      )}
      {busy ? <Busy label="Signing and sending (the server logs the command and the witnesses cosign when the threshold is met)…" /> : null}
      <ErrorBox error={error} />
    </section>
  )
}

function Progress(props: { command: CommandDetail; hostnames: Map<string, string>; org: string }) {
  const { command } = props
  const closed = command.deliveries.filter((d) => d.status === 'completed' || d.status === 'rejected' || d.status === 'expired').length
  const results = new Map(command.results.map((r) => [r.deviceId, r]))
  return (
    <section className="card" aria-labelledby="progress-title">
      <h2 id="progress-title">Progress</h2>
      <p>
        <progress max={command.deliveries.length} value={closed} aria-label="devices answered" /> {closed} of {command.deliveries.length} devices answered
      </p>
      <table>
        <thead>
          <tr>
            <th scope="col">Device</th>
            <th scope="col">Delivery</th>
            <th scope="col">Result</th>
            <th scope="col">Output</th>
          </tr>
        </thead>
        <tbody>
          {command.deliveries.map((d) => {
            const r = results.get(d.deviceId)
            return (
              <tr key={d.deviceId} data-testid={`delivery-${d.deviceId}`}>
                <td>
                  <Link to={`/orgs/${seg(props.org)}/devices/${seg(d.deviceId)}`}>{props.hostnames.get(d.deviceId) ?? d.deviceId}</Link>
                </td>
                <td>
                  <Status value={d.status} />
                </td>
                <td>
                  {r === undefined ? '—' : r.exitCode === 0 ? <Badge tone="ok">exit 0</Badge> : <Badge tone="bad">{r.status} {r.exitCode ?? r.signal ?? ''}</Badge>}
                </td>
                <td>
                  {r === undefined ? null : (
                    <details>
                      <summary>stdout / stderr</summary>
                      <pre className="output">{r.stdout}{r.stdoutTruncated ? '\n… (truncated)' : ''}</pre>
                      {r.stderr !== '' ? <pre className="output stderr">{r.stderr}{r.stderrTruncated ? '\n… (truncated)' : ''}</pre> : null}
                    </details>
                  )}
                </td>
              </tr>
            )
          })}
        </tbody>
      </table>
    </section>
  )
}
