/**
 * Adding an admin to the org, two ways (WIRE.md "Console accounts"):
 *
 * - invite an existing account by username or email: the server answers
 *   202 with the invitation, the same whether or not such an account
 *   exists (the org learns nothing until its holder accepts);
 * - create a new account with an initial password: 201 with the admin.
 *
 * The answer's shape, not the mode, says which happened: the console never
 * assumes a 201.
 */
import { useState, type FormEvent } from 'react'
import { api, seg } from '../api/http'
import type { Role, SentInvitation } from '../api/types'
import { ErrorBox } from '../ui/parts'
import { useAction } from '../ui/use-action'

export const ROLES: readonly Role[] = ['owner', 'admin', 'helpdesk', 'read-only']
type Mode = 'invite' | 'create'
const EMPTY = { identifier: '', username: '', email: '', name: '', password: '', role: 'read-only' as Role }

/**
 * The invitation in a 202 answer, or undefined for anything else.
 *
 * @example
 * sentInvitation({ invitation: { id: 'i1', identifier: 'bob', role: 'admin', expiresAt: 1 } })?.identifier // 'bob'
 */
export function sentInvitation(answer: unknown): SentInvitation | undefined {
  const inv = typeof answer === 'object' && answer !== null ? (answer as { invitation?: unknown }).invitation : undefined
  if (typeof inv !== 'object' || inv === null) return undefined
  const i = inv as Record<string, unknown>
  return typeof i['id'] === 'string' && typeof i['identifier'] === 'string' && typeof i['role'] === 'string' && typeof i['expiresAt'] === 'number'
    ? (inv as SentInvitation)
    : undefined
}

/**
 * @example
 * <AdminAddForm org="acme" onCreated={admins.reload} onInvited={setSent} />
 */
export function AdminAddForm(props: { org: string; onCreated: () => void; onInvited: (i: SentInvitation) => void }) {
  const action = useAction()
  const [mode, setMode] = useState<Mode>('invite')
  const [form, setForm] = useState(EMPTY)
  const set = (k: keyof typeof form) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value })

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault()
    const who = form.identifier.trim()
    const body =
      mode === 'invite'
        ? { [who.includes('@') ? 'email' : 'username']: who, role: form.role }
        : { username: form.username.trim(), email: form.email.trim(), name: form.name.trim(), password: form.password, role: form.role }
    let answer: unknown
    if (!(await action.run(async () => (answer = await api<unknown>('POST', `/v1/orgs/${seg(props.org)}/admins`, body))))) return
    setForm(EMPTY)
    const invitation = sentInvitation(answer)
    if (invitation !== undefined) props.onInvited(invitation)
    else props.onCreated()
  }

  return (
    <form className="card form" onSubmit={(e) => void submit(e)} aria-label="Add an admin">
      <fieldset>
        <legend>Who</legend>
        <label className="radio">
          <input type="radio" name="add-admin-mode" checked={mode === 'invite'} onChange={() => setMode('invite')} />
          Invite an existing account (they accept in their own console)
        </label>
        <label className="radio">
          <input type="radio" name="add-admin-mode" checked={mode === 'create'} onChange={() => setMode('create')} />
          Create a new account
        </label>
      </fieldset>
      <div className="row">
        {mode === 'invite' ? (
          <label>
            Username or email
            <input required autoComplete="off" value={form.identifier} onChange={set('identifier')} />
          </label>
        ) : (
          <>
            <label>
              Username
              <input required autoComplete="off" value={form.username} onChange={set('username')} />
            </label>
            <label>
              Email
              <input type="email" required value={form.email} onChange={set('email')} />
            </label>
            <label>
              Name
              <input required value={form.name} onChange={set('name')} />
            </label>
            <label>
              Initial password
              <input type="password" required autoComplete="new-password" value={form.password} onChange={set('password')} />
            </label>
          </>
        )}
        <label>
          Role
          <select value={form.role} onChange={set('role')}>
            {ROLES.map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
      </div>
      <ErrorBox error={action.error} />
      <button type="submit" disabled={action.busy}>
        {mode === 'invite' ? 'Send the invitation' : 'Create the account'}
      </button>
    </form>
  )
}
