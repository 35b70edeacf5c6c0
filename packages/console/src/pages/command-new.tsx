/**
 * Drafting a command: script, interpreter, run-as, timeout, targets (all
 * devices, chosen devices, or device groups resolved now into the device
 * list that will be signed), and the validity window. The payload is built
 * here; the server's answer must be exactly its canonical bytes, or the
 * draft is not offered for signing.
 */
import { COMMAND_TYPE, canonicalJsonBytes, equalBytes, formatCommandPayload, fromBase64, toBase64, toHex, type CommandPayload } from '@palisade/protocol'
import { useMemo, useState, type FormEvent } from 'react'
import { api, seg } from '../api/http'
import type { DeviceSummary, Group } from '../api/types'
import { navigate } from '../router'
import { Busy, ErrorBox, Page } from '../ui/parts'
import { useAsync } from '../ui/use-async'

type TargetMode = 'all' | 'devices' | 'groups'

const random = (n: number): Uint8Array => crypto.getRandomValues(new Uint8Array(n))

export function NewCommandPage(props: { org: string }) {
  const { org } = props
  const devices = useAsync(() => api<{ devices: DeviceSummary[] }>('GET', `/v1/orgs/${seg(org)}/devices`), [org])
  const groups = useAsync(
    () => api<{ groups: Group[] }>('GET', `/v1/orgs/${seg(org)}/groups?kind=device`).catch(() => ({ groups: [] as Group[] })),
    [org],
  )
  const [script, setScript] = useState('')
  const [interpreter, setInterpreter] = useState('sh')
  const [runAs, setRunAs] = useState('root')
  const [timeout, setTimeoutS] = useState('60')
  const [mode, setMode] = useState<TargetMode>('all')
  const [picked, setPicked] = useState<Set<string>>(new Set())
  const [pickedGroups, setPickedGroups] = useState<Set<string>>(new Set())
  const [filter, setFilter] = useState('')
  const [startIn, setStartIn] = useState('0')
  const [validFor, setValidFor] = useState('60')
  const [busy, setBusy] = useState<string | undefined>(undefined)
  const [error, setError] = useState<unknown>(undefined)

  const shown = useMemo(
    () => (devices.data?.devices ?? []).filter((d) => filter === '' || d.hostname.toLowerCase().includes(filter.toLowerCase()) || d.id.includes(filter)),
    [devices.data, filter],
  )
  const toggle = (set: Set<string>, id: string, update: (s: Set<string>) => void): void => {
    const next = new Set(set)
    if (next.has(id)) next.delete(id)
    else next.add(id)
    update(next)
  }

  const groupDevices = async (): Promise<string[]> => {
    const ids = new Set<string>()
    for (const g of pickedGroups) {
      const detail = await api<{ members?: { id: string }[] }>('GET', `/v1/orgs/${seg(org)}/groups/${seg(g)}`)
      for (const m of detail.members ?? []) ids.add(m.id)
    }
    return [...ids]
  }

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault()
    setError(undefined)
    try {
      if (script.trim() === '') throw new Error('the script is empty')
      setBusy('Resolving targets…')
      let targets: CommandPayload['targets']
      if (mode === 'all') targets = { kind: 'all' }
      else {
        const ids = [...new Set(mode === 'devices' ? [...picked] : await groupDevices())].sort()
        if (ids.length === 0) throw new Error(mode === 'devices' ? 'choose at least one device' : 'the chosen groups have no devices')
        if (ids.length > 1000) throw new Error('more than 1000 devices: use the CLI (it sends a Merkle commitment), or target all')
        targets = { kind: 'devices', ids }
      }
      const now = Math.floor(Date.now() / 1000)
      const notBefore = now + Math.max(0, Math.round(Number(startIn) * 60))
      const payload: CommandPayload = {
        type: COMMAND_TYPE,
        org,
        id: `cmd-${toHex(random(10))}`,
        script,
        interpreter,
        timeoutSeconds: Math.round(Number(timeout)),
        runAs,
        targets,
        notBefore,
        notAfter: notBefore + Math.round(Number(validFor) * 60),
        nonce: toBase64(random(16)),
      }
      const bytes = formatCommandPayload(payload) // throws, naming the field, if it cannot be signed
      setBusy('Saving the draft…')
      const body = JSON.parse(new TextDecoder().decode(bytes)) as unknown
      const answer = await api<{ id: string; payload: string }>('POST', `/v1/orgs/${seg(org)}/commands`, { payload: body })
      if (answer.id !== payload.id || !equalBytes(fromBase64(answer.payload), bytes) || !equalBytes(canonicalJsonBytes(body), bytes)) {
        throw new Error('the server stored other bytes than the ones drafted here: do not sign this command')
      }
      navigate(`/orgs/${seg(org)}/commands/${seg(answer.id)}`)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(undefined)
    }
  }

  return (
    <Page title="New command">
      <form className="form card" onSubmit={(e) => void submit(e)} aria-label="Draft a command">
        <label>
          Script
          <textarea className="code" name="script" rows={10} spellCheck={false} required value={script} onChange={(e) => setScript(e.target.value)} placeholder="uptime" />
        </label>
        <div className="row">
          <label>
            Interpreter
            <select value={interpreter} onChange={(e) => setInterpreter(e.target.value)}>
              {['sh', 'bash', 'python3', 'pwsh'].map((i) => (
                <option key={i}>{i}</option>
              ))}
            </select>
          </label>
          <label>
            Run as
            <input value={runAs} onChange={(e) => setRunAs(e.target.value)} required pattern="[a-z_][a-z0-9_.\-]{0,31}\$?" />
          </label>
          <label>
            Timeout (seconds)
            <input type="number" min={1} max={86400} value={timeout} onChange={(e) => setTimeoutS(e.target.value)} />
          </label>
        </div>
        <fieldset>
          <legend>Targets</legend>
          <div className="row">
            {(['all', 'devices', 'groups'] as const).map((m) => (
              <label key={m} className="radio">
                <input type="radio" name="targets" value={m} checked={mode === m} onChange={() => setMode(m)} />
                {m === 'all' ? 'Every device of the org' : m === 'devices' ? 'Chosen devices' : 'Device groups'}
              </label>
            ))}
          </div>
          {mode === 'devices' ? (
            <div className="picker">
              <input type="search" aria-label="Filter devices" placeholder="Filter" value={filter} onChange={(e) => setFilter(e.target.value)} />
              {devices.loading ? <Busy /> : null}
              <ul>
                {shown.map((d) => (
                  <li key={d.id}>
                    <label className="check">
                      <input type="checkbox" checked={picked.has(d.id)} onChange={() => toggle(picked, d.id, setPicked)} />
                      {d.hostname} <code>{d.id}</code> {d.online ? '· online' : ''}
                    </label>
                  </li>
                ))}
              </ul>
              <p className="muted">{picked.size} chosen</p>
            </div>
          ) : null}
          {mode === 'groups' ? (
            <div className="picker">
              {groups.data?.groups.length === 0 ? <p className="muted">No device groups yet: create them under Groups.</p> : null}
              <ul>
                {(groups.data?.groups ?? []).map((g) => (
                  <li key={g.id}>
                    <label className="check">
                      <input type="checkbox" checked={pickedGroups.has(g.id)} onChange={() => toggle(pickedGroups, g.id, setPickedGroups)} />
                      {g.name} {g.memberCount === undefined ? '' : `(${g.memberCount})`}
                    </label>
                  </li>
                ))}
              </ul>
              <p className="muted">The groups are resolved now: the signed command lists their devices as they are at this moment.</p>
            </div>
          ) : null}
        </fieldset>
        <fieldset>
          <legend>Validity window</legend>
          <div className="row">
            <label>
              Devices may start it in (minutes from now)
              <input type="number" min={0} value={startIn} onChange={(e) => setStartIn(e.target.value)} />
            </label>
            <label>
              …for (minutes)
              <input type="number" min={1} value={validFor} onChange={(e) => setValidFor(e.target.value)} />
            </label>
          </div>
        </fieldset>
        <ErrorBox error={error} />
        {busy !== undefined ? <Busy label={busy} /> : null}
        <button type="submit" disabled={busy !== undefined}>
          Save draft and review
        </button>
      </form>
    </Page>
  )
}
