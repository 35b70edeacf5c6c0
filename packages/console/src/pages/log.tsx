/**
 * The org's transparency log: published checkpoints with their witness
 * cosignatures, the entries, and an in-browser verification of any entry
 * (log/verify-entry.ts) that trusts nothing the server says.
 */
import { checkpoint as cp, note } from '@palisade/protocol'
import { useState, type FormEvent } from 'react'
import { api, seg } from '../api/http'
import type { LogEntry } from '../api/types'
import { useOrgEvents } from '../live/org-events'
import { verifyEntry, type EntryVerification } from '../log/verify-entry'
import { loadOrgTrust } from '../trust/org-trust'
import { TrustBox } from '../trust/trust-box'
import { Badge, Busy, Empty, ErrorBox, Page } from '../ui/parts'
import { useAsync } from '../ui/use-async'

const PAGE = 50

/** A checkpoint note split for display (unverified: the Verify button is what checks). */
function describe(noteText: string): { size: number; root: string; signers: string[] } | undefined {
  try {
    const parsed = note.parse(noteText)
    const body = cp.parse(parsed.text)
    return { size: body.size, root: noteText.split('\n')[2] ?? '', signers: parsed.signatures.map((s) => s.name) }
  } catch {
    return undefined
  }
}

export function LogPage(props: { org: string }) {
  const { org } = props
  const trust = useAsync(() => loadOrgTrust(org), [org])
  const checkpoints = useAsync(() => api<{ checkpoints: { size: number; note: string }[] }>('GET', `/v1/orgs/${seg(org)}/log/checkpoints`), [org])
  const size = checkpoints.data?.checkpoints.reduce((m, c) => Math.max(m, c.size), 0) ?? 0
  const entries = useAsync(async () => {
    if (size === 0) return [] as LogEntry[]
    const start = Math.max(0, size - PAGE)
    return (await api<{ entries: LogEntry[] }>('GET', `/v1/orgs/${seg(org)}/log/entries?start=${start}&end=${size}`)).entries.reverse()
  }, [org, size])
  useOrgEvents(org, ['log', 'command'], () => checkpoints.reload())
  const [checking, setChecking] = useState<number | undefined>(undefined)
  const [result, setResult] = useState<{ index: number; v: EntryVerification } | undefined>(undefined)
  const [error, setError] = useState<unknown>(undefined)
  const [indexField, setIndexField] = useState('')

  const verify = async (index: number): Promise<void> => {
    setChecking(index)
    setError(undefined)
    setResult(undefined)
    try {
      setResult({ index, v: await verifyEntry(org, index) })
    } catch (e) {
      setError(e)
    } finally {
      setChecking(undefined)
    }
  }
  const byIndex = (e: FormEvent): void => {
    e.preventDefault()
    const n = Number(indexField)
    if (Number.isSafeInteger(n) && n >= 0) void verify(n)
    else setError(new Error('an entry index is a whole number from 0'))
  }

  const list = checkpoints.data?.checkpoints ?? []
  return (
    <Page title="Transparency log">
      <TrustBox org={org} trust={trust} />
      <section className="card" aria-labelledby="verify-title">
        <h2 id="verify-title">Verify an entry</h2>
        <form className="inline" onSubmit={byIndex} aria-label="Verify an entry by index">
          <label>
            Entry index
            <input inputMode="numeric" value={indexField} onChange={(e) => setIndexField(e.target.value)} required />
          </label>
          <button type="submit" disabled={checking !== undefined}>
            Verify
          </button>
        </form>
        {checking !== undefined ? <Busy label={`Verifying entry ${checking} in this browser…`} /> : null}
        <ErrorBox error={error} />
        {result !== undefined ? <VerificationView index={result.index} v={result.v} /> : null}
      </section>
      <section className="card" aria-labelledby="entries-title">
        <h2 id="entries-title">Entries</h2>
        {entries.loading && entries.data === undefined ? <Busy /> : null}
        <ErrorBox error={entries.error} />
        {entries.data?.length === 0 ? <Empty title="The log is empty." /> : null}
        {entries.data !== undefined && entries.data.length > 0 ? (
          <table>
            <thead>
              <tr>
                <th scope="col">Index</th>
                <th scope="col">Kind</th>
                <th scope="col">Size</th>
                <th scope="col" />
              </tr>
            </thead>
            <tbody>
              {entries.data.map((e) => (
                <tr key={e.index}>
                  <td>{e.index}</td>
                  <td>{e.kind}</td>
                  <td>{Math.floor((e.data.length * 3) / 4)} bytes</td>
                  <td>
                    <button type="button" className="small" disabled={checking !== undefined} onClick={() => void verify(e.index)} aria-label={`Verify entry ${e.index}`}>
                      Verify
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
      <section className="card" aria-labelledby="cp-title">
        <h2 id="cp-title">Checkpoints</h2>
        {checkpoints.loading && checkpoints.data === undefined ? <Busy /> : null}
        <ErrorBox error={checkpoints.error} />
        <table>
          <thead>
            <tr>
              <th scope="col">Size</th>
              <th scope="col">Root hash</th>
              <th scope="col">Signed by (log key and witnesses)</th>
            </tr>
          </thead>
          <tbody>
            {[...list].reverse().map((c) => {
              const d = describe(c.note)
              return (
                <tr key={c.size}>
                  <td>{c.size}</td>
                  <td>
                    <code>{d?.root ?? '?'}</code>
                  </td>
                  <td>{d?.signers.join(', ') ?? 'malformed note'}</td>
                </tr>
              )
            })}
          </tbody>
        </table>
      </section>
    </Page>
  )
}

function VerificationView(props: { index: number; v: EntryVerification }) {
  const { v } = props
  return (
    <div className={`verification ${v.verified ? 'ok' : 'bad'}`} data-testid="verification" role="status">
      <p>
        {v.verified ? <Badge tone="ok">verified</Badge> : <Badge tone="bad">verification failed</Badge>} entry {props.index}
      </p>
      <ol>
        {v.steps.map((s) => (
          <li key={s.label}>
            {s.ok ? '✓' : '✗'} <strong>{s.label}</strong>: {s.detail}
          </li>
        ))}
      </ol>
      {v.payloadText !== undefined ? (
        <details>
          <summary>Entry content ({v.payloadType})</summary>
          <pre className="raw">{v.payloadText}</pre>
        </details>
      ) : null}
    </div>
  )
}
