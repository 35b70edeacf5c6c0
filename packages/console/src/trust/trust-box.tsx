/**
 * What this browser knows of the org's root: verified from the pinned
 * fingerprint, or not — with a form to pin one. Pages that sign or verify
 * show it, so an admin sees the trust anchor before acting.
 */
import { useState, type FormEvent } from 'react'
import { Badge, Busy, ErrorBox } from '../ui/parts'
import type { AsyncState } from '../ui/use-async'
import type { OrgTrust } from './org-trust'
import { pinFingerprint } from './pin'

export function TrustBox(props: { org: string; trust: AsyncState<OrgTrust> }) {
  const { trust } = props
  const [fp, setFp] = useState('')
  const [error, setError] = useState<unknown>(undefined)
  const pin = (e: FormEvent): void => {
    e.preventDefault()
    try {
      pinFingerprint(props.org, fp)
      setError(undefined)
      trust.reload()
    } catch (err) {
      setError(err)
    }
  }
  const t = trust.data
  return (
    <section className="card trust" aria-labelledby="trust-title">
      <h2 id="trust-title">Root of trust</h2>
      {trust.loading && t === undefined ? <Busy label="Verifying the root chain…" /> : null}
      <ErrorBox error={trust.error} />
      {t !== undefined && t.chain.length > 0 ? (
        <p>
          <Badge tone="ok">verified</Badge> root v{t.current.version} of <strong>{t.current.org}</strong>, verified in this browser from the pinned
          fingerprint <code data-testid="pinned-fingerprint">{t.pinned}</code> through {t.chain.length} version(s). Current root fingerprint{' '}
          <code>{t.chain[t.chain.length - 1]!.fingerprint}</code>.
        </p>
      ) : null}
      {t !== undefined && t.chain.length === 0 ? (
        <>
          <p>
            <Badge tone="bad">not verified</Badge> {t.failure}. The server serves root v1 with fingerprint <code>{t.served}</code>: compare it with
            the one `palisade org init` printed before pinning it.
          </p>
          <form className="inline" onSubmit={pin} aria-label="Pin the root fingerprint">
            <label>
              Root fingerprint
              <input name="fingerprint" value={fp} onChange={(e) => setFp(e.target.value)} placeholder="64 hex digits" size={66} required />
            </label>
            <button type="submit">Pin</button>
          </form>
          <ErrorBox error={error} />
        </>
      ) : null}
    </section>
  )
}
