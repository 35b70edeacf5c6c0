/** API keys of the org: scoped, expiring, shown once at creation, revocable. */
import { useState, type FormEvent } from 'react'
import { api, seg } from '../api/http'
import type { ApiKey } from '../api/types'
import { ago, time } from '../ui/format'
import { DataTable } from '../ui/data-table'
import { Loaded } from '../ui/loaded'
import { Badge, Copyable, Empty, Page } from '../ui/parts'
import { RowAction } from '../ui/row-action'
import { useAction } from '../ui/use-action'
import { useOrgGet } from '../ui/use-org-get'

const SCOPES = ['read', 'devices', 'commands', 'directory', 'admin'] as const

export function ApiKeysPage(props: { org: string }) {
  const { org } = props
  const keys = useOrgGet(org, '/api-keys', (r: { apiKeys: ApiKey[] }) => r.apiKeys)
  const action = useAction()
  const [name, setName] = useState('')
  const [scopes, setScopes] = useState<Set<string>>(new Set(['read']))
  const [days, setDays] = useState('90')
  const [created, setCreated] = useState<string | undefined>(undefined)
  const create = async (e: FormEvent): Promise<void> => {
    e.preventDefault()
    let key = ''
    const ok = await action.run(async () => {
      key = (await api<{ key: string }>('POST', `/v1/orgs/${seg(org)}/api-keys`, { name, scopes: [...scopes], expiresInDays: Number(days) })).key
    })
    if (ok) {
      setCreated(key)
      setName('')
      keys.reload()
    }
  }
  return (
    <Page title="API keys">
      <form className="card form" onSubmit={(e) => void create(e)} aria-label="Create an API key">
        <div className="row">
          <label>
            Name
            <input required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
          </label>
          <label>
            Expires in (days)
            <input type="number" min={1} max={365} value={days} onChange={(e) => setDays(e.target.value)} />
          </label>
        </div>
        <fieldset>
          <legend>Scopes</legend>
          <div className="row">
            {SCOPES.map((s) => (
              <label key={s} className="check">
                <input
                  type="checkbox"
                  checked={scopes.has(s)}
                  onChange={() => {
                    const n = new Set(scopes)
                    if (n.has(s)) n.delete(s)
                    else n.add(s)
                    setScopes(n)
                  }}
                />
                {s}
              </label>
            ))}
          </div>
        </fieldset>
        <button type="submit" disabled={action.busy || scopes.size === 0}>
          Create key
        </button>
      </form>
      {created !== undefined ? (
        <div className="notice" role="status">
          <p>The new key, shown only now:</p>
          <Copyable text={created} label="api-key" />
        </div>
      ) : null}
      <Loaded state={keys} error={action.error} empty={(list) => list.length === 0 && <Empty title="No API keys. The CLI and scripts use one each." />}>
        {(list) => (
          <DataTable
            rows={list}
            rowKey={(k) => k.id}
            columns={[
              ['Name', (k) => k.name],
              ['Prefix', (k) => <code>{k.prefix}</code>],
              ['Scopes', (k) => k.scopes.join(', ')],
              ['Expires', (k) => time(k.expiresAt)],
              ['Last used', (k) => `${ago(k.lastUsedAt)} ${k.lastUsedAddr ?? ''}`],
              [
                '',
                (k) =>
                  k.revokedAt !== null ? (
                    <Badge tone="muted">revoked</Badge>
                  ) : (
                    <RowAction action={action} danger confirm={`Revoke key ${k.name}?`} run={() => api('DELETE', `/v1/orgs/${seg(org)}/api-keys/${seg(k.id)}`)} then={keys.reload}>
                      Revoke
                    </RowAction>
                  ),
              ],
            ]}
          />
        )}
      </Loaded>
    </Page>
  )
}
