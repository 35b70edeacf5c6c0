/**
 * First-run setup with root v1 made by the CLI on the admins' own machines
 * (several first admins, keys that never touch a browser): this uploads the
 * signed draft after checking in the browser that root v1 carries its root
 * threshold of signatures.
 */
import { dsse, rootFingerprint, verifyAnchorRoot } from '@palisade/protocol'
import { useState, type FormEvent } from 'react'
import { verifyAsync } from '../crypto/verify-async'
import { createOrg, type CreatedOrg } from '../setup/create-org'
import { Busy, Copyable, ErrorBox } from '../ui/parts'
import { NO_OWNER, OwnerFields, ownerToSend } from './owner-fields'

interface Draft {
  readonly envelope: dsse.Envelope
  readonly witnesses: readonly { key: string; url: string }[]
  readonly fingerprint: string
  readonly org: string
  readonly signedBy: number
  readonly needed: number
}

async function readDraft(text: string): Promise<Draft> {
  const doc = JSON.parse(text) as { type?: unknown; envelope?: unknown; witnesses?: unknown }
  if (doc.type !== 'palisade.root-draft/v1') throw new Error('this is not a root v1 draft (palisade org init --out FILE writes one)')
  const envelope = dsse.parseEnvelope(doc.envelope)
  const fingerprint = rootFingerprint(envelope.payload)
  const witnesses = Array.isArray(doc.witnesses) ? (doc.witnesses as { key: string; url: string }[]) : []
  // verifies the root threshold of signatures, in the browser
  const signed = await verifyAsync((p) => verifyAnchorRoot(envelope, fingerprint, p))
  return { envelope, witnesses, fingerprint, org: signed.root.org, signedBy: envelope.signatures.length, needed: signed.root.thresholds.root }
}

export function SetupUpload(props: { onDone: (done: CreatedOrg, username: string) => void }) {
  const [setupCode, setSetupCode] = useState('')
  const [draft, setDraft] = useState<Draft | undefined>(undefined)
  const [owner, setOwner] = useState(NO_OWNER)
  const [busy, setBusy] = useState<string | undefined>(undefined)
  const [error, setError] = useState<unknown>(undefined)

  const onFile = async (file: File | undefined): Promise<void> => {
    setDraft(undefined)
    setError(undefined)
    if (file === undefined) return
    setBusy('Checking the root draft…')
    try {
      setDraft(await readDraft(await file.text()))
    } catch (e) {
      setError(e)
    } finally {
      setBusy(undefined)
    }
  }

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault()
    if (draft === undefined) return
    setBusy('Creating the organisation (the witnesses cosign the first checkpoint)…')
    setError(undefined)
    try {
      const sent = ownerToSend(owner)
      props.onDone(await createOrg({ setupCode: setupCode.trim(), ...draft }, sent), sent.username)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(undefined)
    }
  }

  return (
    <>
      <ol className="steps">
        <li>
          On each admin's own machine: <Copyable text="palisade key generate --name alice" />
        </li>
        <li>
          Draft root v1 (admins, thresholds, witnesses) against this server, with the setup code the server printed at its first start:
          <Copyable text={`palisade org init --server ${location.origin} --setup-code <code> --org acme --admin alice=<pub> --admin bob=<pub> --threshold command=2,policy=2,root=2,device=1 --witness '<witness key>@<witness url>' --out root.json`} />
        </li>
        <li>
          Each admin signs it: <Copyable text="palisade root sign root.json --key alice" /> and each witness registers the log with the fingerprint
          org init printed: <Copyable text="palisade witness add-log --key '<log key>' --root-fingerprint '<fingerprint>'" />
        </li>
        <li>Upload the signed draft here, and create your console account (the org's owner).</li>
      </ol>
      <form className="card form" onSubmit={(e) => void submit(e)} aria-label="Create the organisation">
        <label>
          Setup code
          <input required value={setupCode} onChange={(e) => setSetupCode(e.target.value)} autoComplete="off" />
        </label>
        <label>
          Signed root draft (root.json)
          <input type="file" accept=".json,application/json" required onChange={(e) => void onFile(e.target.files?.[0])} />
        </label>
        {draft !== undefined ? (
          <p className={draft.signedBy >= draft.needed ? 'ok' : 'bad'}>
            Org <strong>{draft.org}</strong>, fingerprint <code>{draft.fingerprint}</code>: {draft.signedBy} signature(s), verified in this browser
            ({draft.needed} required), {draft.witnesses.length} witness(es).
          </p>
        ) : null}
        <OwnerFields value={owner} onChange={setOwner} />
        <ErrorBox error={error} />
        {busy !== undefined ? <Busy label={busy} /> : null}
        <button type="submit" disabled={busy !== undefined || draft === undefined}>
          Create the organisation
        </button>
      </form>
    </>
  )
}
