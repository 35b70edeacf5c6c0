/**
 * The org's transparency log: published checkpoints with their witness
 * cosignatures, the entries, and an in-browser verification of any entry
 * (log/verify-entry.ts) that trusts nothing the server says.
 */
import { checkpoint as cp, note } from '@palisade/protocol'
import { useState, type FormEvent } from 'react'
import { api, seg } from '../api/http'
import type { LogEntry } from '../api/types'
import { verifyEntry, type EntryVerification } from '../log/verify-entry'
import { loadOrgTrust } from '../trust/org-trust'
import { TrustBox } from '../trust/trust-box'
import { DataTable } from '../ui/data-table'
import { Loaded } from '../ui/loaded'
import { Badge, Busy, Empty, ErrorBox, Page } from '../ui/parts'
import { useAsync } from '../ui/use-async'
import { useOrgGet } from '../ui/use-org-get'

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
  const checkpoints = useOrgGet(org, '/log/checkpoints', (r: { checkpoints: { size: number; note: string }[] }) => r.checkpoints, ['log', 'command'])
  const size = checkpoints.data?.reduce((m, c) => Math.max(m, c.size), 0) ?? 0
  const entries = useAsync(async () => {
    if (size === 0) return [] as LogEntry[]
    const start = Math.max(0, size - PAGE)
    return (await api<{ entries: LogEntry[] }>('GET', `/v1/orgs/${seg(org)}/log/entries?start=${start}&end=${size}`)).entries.reverse()
  }, [org, size])
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
        <Loaded state={entries} empty={(list) => list.length === 0 && <Empty title="The log is empty." />}>
          {(list) => (
            <DataTable
              rows={list}
              rowKey={(e) => e.index}
              columns={[
                ['Index', (e) => e.index],
                ['Kind', (e) => e.kind],
                ['Size', (e) => `${Math.floor((e.data.length * 3) / 4)} bytes`],
                [
                  '',
                  (e) => (
                    <button type="button" className="small" disabled={checking !== undefined} onClick={() => void verify(e.index)} aria-label={`Verify entry ${e.index}`}>
                      Verify
                    </button>
                  ),
                ],
              ]}
            />
          )}
        </Loaded>
      </section>
      <section className="card" aria-labelledby="cp-title">
        <h2 id="cp-title">Checkpoints</h2>
        <Loaded state={checkpoints}>
          {(list) => (
            <DataTable
              rows={[...list].reverse().map((c) => ({ size: c.size, d: describe(c.note) }))}
              rowKey={(c) => c.size}
              columns={[
                ['Size', (c) => c.size],
                ['Root hash', (c) => <code>{c.d?.root ?? '?'}</code>],
                ['Signed by (log key and witnesses)', (c) => c.d?.signers.join(', ') ?? 'malformed note'],
              ]}
            />
          )}
        </Loaded>
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
