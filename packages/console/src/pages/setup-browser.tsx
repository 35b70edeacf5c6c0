/**
 * First-run setup entirely in this browser: the first admin's signing key
 * is created here (WebCrypto Ed25519, non-extractable, kept in IndexedDB),
 * root v1 is built by protocol and signed with it (1 of 1), the witness
 * operators register the log with the command shown, and the org is
 * created with its owner account. Nothing secret leaves the browser; the
 * server only hands out the log key root v1 pins.
 */
import { useState, type FormEvent } from 'react'
import { api } from '../api/http'
import { generateKeyPair } from '../crypto/ed25519-key'
import { saveKey, type StoredKey } from '../crypto/key-store'
import { createOrg, type CreatedOrg } from '../setup/create-org'
import { addLogCommand, signRootV1, type SignedRootV1 } from '../setup/root-v1'
import { checkSetupForm, type SetupForm } from '../setup/setup-choices'
import { Busy, Copyable, ErrorBox } from '../ui/parts'
import { useAction } from '../ui/use-action'
import { NO_OWNER, OwnerFields, ownerToSend } from './owner-fields'
import { RootFacts } from '../trust/root-facts'
import { WitnessFields } from './witness-fields'

const START: SetupForm = { setupCode: '', org: '', keyName: '', witnesses: [{ url: '', key: '' }], quorum: '1', monitors: '', maxAgeHours: '24' }

export function SetupInBrowser(props: { onDone: (done: CreatedOrg, username: string) => void }) {
  const [form, setForm] = useState<SetupForm>(START)
  const [owner, setOwner] = useState(NO_OWNER)
  const [key, setKey] = useState<StoredKey | undefined>(undefined)
  const [signed, setSigned] = useState<(SignedRootV1 & { setupCode: string }) | undefined>(undefined)
  const action = useAction()
  const set = (k: 'setupCode' | 'org' | 'keyName' | 'quorum' | 'monitors' | 'maxAgeHours') => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value })

  const createKey = (): void => {
    void action.run(async () => {
      const name = form.keyName.trim() || owner.username.trim()
      if (!/^[A-Za-z0-9._@-]{1,64}$/.test(name)) throw new Error('Your admin name in the root: 1 to 64 of A-Z a-z 0-9 . _ @ - (it names your key)')
      const pair = await generateKeyPair()
      setKey(await saveKey(name, pair.publicKey, pair.key, 'browser'))
      setForm({ ...form, keyName: name })
    })
  }

  const build = (e: FormEvent): void => {
    e.preventDefault()
    void action.run(async () => {
      if (key === undefined) throw new Error('Create your signing key first (step 1)')
      const choices = checkSetupForm({ ...form, keyName: key.name })
      const log = await api<{ org: string; origin: string; logKey: string }>('POST', '/v1/setup/log-key', { setupCode: choices.setupCode, org: choices.org })
      const root = await signRootV1(choices, log, key, Math.floor(Date.now() / 1000))
      setSigned({ ...root, setupCode: choices.setupCode })
    })
  }

  const create = (): void => {
    if (signed === undefined) return
    void action.run(async () => {
      const sent = ownerToSend(owner)
      const done = await createOrg({ setupCode: signed.setupCode, envelope: signed.envelope, fingerprint: signed.fingerprint, org: signed.root.org, witnesses: signed.witnesses }, sent)
      props.onDone(done, sent.username)
    })
  }

  if (signed !== undefined) {
    return (
      <section className="card form" aria-labelledby="signed-title">
        <h2 id="signed-title">Root v1 of {signed.root.org}, signed and verified in this browser</h2>
        <p>
          Fingerprint: <code data-testid="setup-fingerprint">{signed.fingerprint}</code> — 1 of 1 signature, verified here as a device will.
        </p>
        <RootFacts root={signed.root} />
        <h3>Before you create the organisation: each witness registers the log</h3>
        <p>
          A witness cosigns only logs it was told about, and only checkpoints naming this root. Each witness operator runs, on the witness's machine (add
          <code> --data DIR</code> if it does not keep its data in <code>./witness-data</code>):
        </p>
        {signed.witnesses.map((w, i) => (
          <div key={w.key}>
            <p className="muted">
              Witness {i + 1}, {w.url}:
            </p>
            <Copyable text={addLogCommand(signed)} label={`add-log-${i + 1}`} />
          </div>
        ))}
        <p className="muted">
          The first checkpoint needs {signed.root.witnesses.quorum} of them. If one is not ready yet, creating the organisation fails naming it, and nothing
          is written: run the command there and try again.
        </p>
        <ErrorBox error={action.error} />
        {action.busy ? <Busy label="Creating the organisation (the witnesses cosign the first checkpoint)…" /> : null}
        <div className="row">
          <button type="button" disabled={action.busy} onClick={create}>
            The witnesses are ready: create the organisation
          </button>
          <button type="button" className="ghost" disabled={action.busy} onClick={() => (action.clear(), setSigned(undefined))}>
            Change something (a new root, with a new fingerprint)
          </button>
        </div>
      </section>
    )
  }

  return (
    <form className="card form" onSubmit={build} aria-label="Set up the organisation in this browser">
      <OwnerFields value={owner} onChange={setOwner} />
      <fieldset>
        <legend>1. Your signing key</legend>
        <p className="muted">
          It signs root v1 and, later, commands. It is created in this browser and cannot be exported: the server never sees it. Clearing this site's
          data deletes it, so add a second admin (with their own key) soon.
        </p>
        <div className="row">
          <label>
            Your admin name in the root
            <input value={form.keyName} onChange={set('keyName')} placeholder={owner.username || 'alice'} disabled={key !== undefined} pattern="[A-Za-z0-9._@\-]{1,64}" />
          </label>
          <button type="button" onClick={createKey} disabled={action.busy || key !== undefined}>
            Create my signing key
          </button>
        </div>
        {key !== undefined ? (
          <p className="ok" role="status">
            Key <strong>{key.name}</strong> (id <code data-testid="new-key-id">{key.keyid}</code>) created in this browser.
          </p>
        ) : null}
      </fieldset>
      <fieldset>
        <legend>2. The organisation</legend>
        <div className="row">
          <label>
            Setup code
            <input required value={form.setupCode} onChange={set('setupCode')} autoComplete="off" placeholder="printed by the server at its first start" />
          </label>
          <label>
            Organisation id
            <input required value={form.org} onChange={set('org')} pattern="[a-z0-9][a-z0-9\-]{0,62}" placeholder="acme" />
          </label>
        </div>
        <p className="muted">
          Thresholds: <strong>1 of 1</strong> for commands, policies, root changes and devices — you are the only admin. More admins join by a root
          rotation that a threshold of the admins in force signs; the thresholds can rise then.
        </p>
      </fieldset>
      <WitnessFields form={form} onChange={setForm} />
      <fieldset>
        <legend>4. Monitoring</legend>
        <label>
          Monitor URLs (optional, one per line: devices also send every rejection and alert there)
          <textarea rows={2} value={form.monitors} onChange={set('monitors')} placeholder="https://monitor.example.com" />
        </label>
        <label>
          Checkpoint max age in hours (devices raise an alert when they have seen no checkpoint cosigned within it; empty for none)
          <input inputMode="decimal" value={form.maxAgeHours} onChange={set('maxAgeHours')} />
        </label>
      </fieldset>
      <ErrorBox error={action.error} />
      {action.busy ? <Busy label="Working…" /> : null}
      <button type="submit" disabled={action.busy || key === undefined}>
        Build and sign root v1
      </button>
    </form>
  )
}
