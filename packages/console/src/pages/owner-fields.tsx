/** The owner account fields of first-run setup (both paths). */
import type { OwnerAccount } from '../setup/create-org'

export const NO_OWNER: OwnerAccount = { username: '', email: '', name: '', password: '' }

export function OwnerFields(props: { value: OwnerAccount; onChange: (o: OwnerAccount) => void }) {
  const { value } = props
  const set = (k: keyof OwnerAccount) => (e: { target: { value: string } }) => props.onChange({ ...value, [k]: e.target.value })
  return (
    <fieldset>
      <legend>Your console account (the organisation's owner)</legend>
      <div className="row">
        <label>
          Username
          <input required autoComplete="username" value={value.username} onChange={set('username')} />
        </label>
        <label>
          Email
          <input required type="email" value={value.email} onChange={set('email')} />
        </label>
        <label>
          Full name
          <input required value={value.name} onChange={set('name')} />
        </label>
      </div>
      <label>
        Password (12 characters or more)
        <input required type="password" minLength={12} autoComplete="new-password" value={value.password} onChange={set('password')} />
      </label>
    </fieldset>
  )
}

/** The owner account as sent (trimmed; the password as typed). */
export const ownerToSend = (o: OwnerAccount): OwnerAccount => ({ username: o.username.trim(), email: o.email.trim(), name: o.name.trim(), password: o.password })
