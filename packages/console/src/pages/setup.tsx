/**
 * First-run setup, two ways:
 * - in this browser (the default): the first admin's signing key is made
 *   here (non-extractable, IndexedDB) and signs root v1, 1 of 1; more
 *   admins join later by a threshold-signed rotation;
 * - with the CLI: several admins sign root v1 on their own machines and
 *   the signed draft is uploaded here.
 * Either way the org's owner account is created in the same request, the
 * fingerprint is pinned in this browser, and the owner is signed in.
 */
import { useState } from 'react'
import type { CreatedOrg } from '../setup/create-org'
import { SetupDone } from './setup-done'
import { SetupInBrowser } from './setup-browser'
import { SetupUpload } from './setup-upload'

export function SetupPage(props: { onSignedIn: () => void }) {
  const [mode, setMode] = useState<'browser' | 'upload'>('browser')
  const [done, setDone] = useState<{ done: CreatedOrg; username: string } | undefined>(undefined)
  if (done !== undefined) return <SetupDone done={done.done} username={done.username} onSignedIn={props.onSignedIn} />
  const onDone = (d: CreatedOrg, username: string): void => setDone({ done: d, username })
  return (
    <main className="center wide">
      <h1>First-run setup</h1>
      <fieldset className="choice">
        <legend>How is root v1, the organisation's root of trust, signed?</legend>
        <label className="check">
          <input type="radio" name="setup-mode" checked={mode === 'browser'} onChange={() => setMode('browser')} />
          In this browser, by me as the first admin
        </label>
        <label className="check">
          <input type="radio" name="setup-mode" checked={mode === 'upload'} onChange={() => setMode('upload')} />
          With the CLI, by several admins on their own machines (upload the signed draft)
        </label>
      </fieldset>
      {mode === 'browser' ? <SetupInBrowser onDone={onDone} /> : <SetupUpload onDone={onDone} />}
    </main>
  )
}
