/**
 * Makes an enrollment token and shows the install command to run on the
 * new device (POST /v1/orgs/:org/enrollment-tokens). The fingerprint in it
 * is compared with the one pinned here: the command pins devices to it.
 */
import { useState, type FormEvent } from 'react'
import { api, seg } from '../api/http'
import type { EnrollmentToken } from '../api/types'
import { pinnedFingerprint } from '../trust/pin'
import { time } from '../ui/format'
import { Busy, Copyable, ErrorBox } from '../ui/parts'

export function EnrollPanel(props: { org: string }) {
  const [uses, setUses] = useState('1')
  const [token, setToken] = useState<EnrollmentToken | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(undefined)
  const create = async (e: FormEvent): Promise<void> => {
    e.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      setToken(await api<EnrollmentToken>('POST', `/v1/orgs/${seg(props.org)}/enrollment-tokens`, { uses: Number(uses) }))
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }
  const pinned = pinnedFingerprint(props.org)
  return (
    <section className="card" aria-labelledby="enroll-title">
      <h2 id="enroll-title">Enroll a device</h2>
      <form className="inline" onSubmit={(e) => void create(e)}>
        <label>
          Devices it may enroll
          <input type="number" min={1} max={10000} value={uses} onChange={(e) => setUses(e.target.value)} />
        </label>
        <button type="submit" disabled={busy}>
          Create install command
        </button>
      </form>
      {busy ? <Busy label="Creating a token…" /> : null}
      <ErrorBox error={error} />
      {token !== undefined ? (
        <>
          <p>Run this on the device (valid until {time(token.expiresAt)}); it appears here as soon as its agent connects:</p>
          <Copyable text={token.installCommand} label="install-command" />
          <p className="muted">Then start the agent: <code>palisade agent run</code> (or the packaged palisade-agent service).</p>
          {pinned !== undefined && pinned !== token.fingerprint ? (
            <p className="bad" role="alert">
              The fingerprint in this command is not the one pinned in this browser ({pinned.slice(0, 16)}…): do not run it.
            </p>
          ) : null}
        </>
      ) : null}
    </section>
  )
}
