/** The end of first-run setup: the pinned fingerprint, the one-time API key, and on into the console. */
import type { CreatedOrg } from '../setup/create-org'
import { navigate } from '../router'
import { Copyable } from '../ui/parts'

export function SetupDone(props: { done: CreatedOrg; username: string; onSignedIn: () => void }) {
  const { done } = props
  const go = (): void => {
    navigate(done.signedIn ? `/orgs/${encodeURIComponent(done.org)}/devices` : '/login', true)
    props.onSignedIn()
  }
  return (
    <main className="center narrow">
      <h1>Organisation {done.org} is ready</h1>
      <p>Its root fingerprint, pinned in this browser. Hand it to devices and admins out of band (install commands carry it):</p>
      <Copyable text={done.fingerprint} label="fingerprint" />
      <p>The org's first API key, shown once (the CLI uses it; store it or revoke it):</p>
      <Copyable text={done.apiKey} label="api-key" />
      <p>
        <button type="button" onClick={go} autoFocus>
          {done.signedIn ? `Continue to the console as ${props.username}` : `Sign in as ${props.username}`}
        </button>
      </p>
    </main>
  )
}
