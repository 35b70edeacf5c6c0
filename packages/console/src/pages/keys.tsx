/**
 * The signing keys of this browser. Two ways to get one:
 * - import the CLI key file (`~/.palisade/keys/<name>.key.json`) with its
 *   passphrase: decrypted here (scrypt + AES-GCM in the browser), then kept
 *   only as a non-extractable WebCrypto key in IndexedDB;
 * - create one here (non-extractable from birth): its public key becomes
 *   usable only once a threshold of admins adds it to the org root with a
 *   signed rotation (`palisade root rotate --add-admin NAME=PUB`).
 */
import { toBase64 } from '@palisade/protocol'
import { useState, type FormEvent } from 'react'
import { generateKeyPair } from '../crypto/ed25519-key'
import { openKeyFile } from '../crypto/key-file'
import { deleteKey, listKeys, saveKey } from '../crypto/key-store'
import { loadOrgTrust } from '../trust/org-trust'
import { time } from '../ui/format'
import { DataTable } from '../ui/data-table'
import { Loaded } from '../ui/loaded'
import { Badge, Copyable, Empty, ErrorBox, Page } from '../ui/parts'
import { RowAction } from '../ui/row-action'
import { useAction } from '../ui/use-action'
import { useAsync } from '../ui/use-async'

export function KeysPage(props: { org: string }) {
  const keys = useAsync(() => listKeys(), [])
  const trust = useAsync(() => loadOrgTrust(props.org), [props.org])
  const admins = trust.data?.chain.length ? trust.data.current.admins : []
  const action = useAction()
  const [created, setCreated] = useState<{ name: string; publicKey: string } | undefined>(undefined)

  return (
    <Page title="Signing keys">
      <p className="muted">
        Keys live in this browser only (IndexedDB, non-extractable): the server never sees them. A key signs for this org only if its root lists it.
      </p>
      <Loaded state={keys} error={action.error} empty={(list) => list.length === 0 && <Empty title="No key in this browser yet: import your CLI key file or create one below." />}>
        {(list) => (
          <DataTable
            rows={list}
            rowKey={(k) => k.keyid}
            columns={[
              ['Name', (k) => k.name],
              ['Key id', (k) => <code>{k.keyid}</code>],
              ['Origin', (k) => (k.origin === 'imported' ? 'CLI key file' : 'created here')],
              [
                <>In root of {props.org}</>,
                (k) => (admins.some((a) => a.id === k.keyid && toBase64(a.publicKey) === k.publicKey) ? <Badge tone="ok">admin</Badge> : <Badge tone="muted">not listed</Badge>),
              ],
              ['Added', (k) => time(k.createdAt)],
              [
                '',
                (k) => (
                  <RowAction action={action} danger confirm={`Delete key ${k.name} from this browser? It cannot be recovered from here.`} run={() => deleteKey(k.keyid)} then={keys.reload}>
                    Delete
                  </RowAction>
                ),
              ],
            ]}
          />
        )}
      </Loaded>
      <ImportKey onDone={keys.reload} />
      <section className="card" aria-labelledby="create-title">
        <h2 id="create-title">Create a key in this browser</h2>
        <CreateKey
          onCreated={(k) => {
            setCreated(k)
            keys.reload()
          }}
        />
        {created !== undefined ? (
          <>
            <p>
              Key <strong>{created.name}</strong> created. Its public key is below; it can sign only after admins add it to the org root:
            </p>
            <Copyable text={created.publicKey} label="new-public-key" />
            <Copyable text={`palisade root rotate --add-admin ${created.name}=${created.publicKey} --out rotate.json`} />
            <p className="muted">Then a threshold of the current and new admins sign it (`palisade root sign rotate.json`) and one uploads it (`palisade root upload rotate.json`).</p>
          </>
        ) : null}
      </section>
    </Page>
  )
}

function ImportKey(props: { onDone: () => void }) {
  const [file, setFile] = useState<File | undefined>(undefined)
  const [passphrase, setPassphrase] = useState('')
  const [progress, setProgress] = useState<number | undefined>(undefined)
  const [error, setError] = useState<unknown>(undefined)
  const [done, setDone] = useState<string | undefined>(undefined)
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault()
    if (file === undefined) return
    setError(undefined)
    setDone(undefined)
    setProgress(0)
    try {
      const opened = await openKeyFile(await file.text(), passphrase, setProgress)
      await saveKey(opened.name, opened.publicKey, opened.key, 'imported')
      setPassphrase('')
      setDone(opened.name)
      props.onDone()
    } catch (err) {
      setError(err)
    } finally {
      setProgress(undefined)
    }
  }
  return (
    <section className="card" aria-labelledby="import-title">
      <h2 id="import-title">Import a CLI key file</h2>
      <form className="form" onSubmit={(e) => void submit(e)} aria-label="Import a key file">
        <label>
          Key file (<code>&lt;name&gt;.key.json</code> in your PALISADE_HOME keys folder)
          <input type="file" name="keyfile" accept=".json,application/json" required onChange={(e) => setFile(e.target.files?.[0])} />
        </label>
        <label>
          Passphrase
          <input type="password" name="passphrase" autoComplete="off" required value={passphrase} onChange={(e) => setPassphrase(e.target.value)} />
        </label>
        <button type="submit" disabled={progress !== undefined}>
          Import
        </button>
        {progress !== undefined ? (
          <p role="status">
            <progress max={1} value={progress} aria-label="Decrypting" /> Decrypting the key (scrypt)… {Math.round(progress * 100)}%
          </p>
        ) : null}
        {done !== undefined ? <p className="ok" role="status">Imported key {done}.</p> : null}
        <ErrorBox error={error} />
      </form>
    </section>
  )
}

function CreateKey(props: { onCreated: (k: { name: string; publicKey: string }) => void }) {
  const [name, setName] = useState('')
  const [error, setError] = useState<unknown>(undefined)
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault()
    setError(undefined)
    try {
      if (!/^[A-Za-z0-9._@-]{1,64}$/.test(name)) throw new Error('a key name is 1–64 letters, digits, . _ @ -')
      const { key, publicKey } = await generateKeyPair()
      await saveKey(name, publicKey, key, 'browser')
      props.onCreated({ name, publicKey: toBase64(publicKey) })
    } catch (err) {
      setError(err)
    }
  }
  return (
    <form className="inline" onSubmit={(e) => void submit(e)} aria-label="Create a key">
      <label>
        Name
        <input value={name} onChange={(e) => setName(e.target.value)} required placeholder="alice-laptop" />
      </label>
      <button type="submit">Create key</button>
      <ErrorBox error={error} />
    </form>
  )
}
