/**
 * The signed-in admin's own account: invitations from other orgs, TOTP
 * enrolment (the QR code is the server's SVG, shown as an image so it
 * cannot run script; recovery codes are shown once), and their sessions,
 * each revocable. When orgs require MFA and the admin has no TOTP yet, this
 * is the only page (app.tsx): it names those orgs and offers enrolment
 * alone, since the server allows such a session nothing else.
 */
import { useState, type FormEvent } from 'react'
import { api, seg } from '../api/http'
import { signedOut } from '../api/session'
import type { Me, SessionView } from '../api/types'
import { navigate } from '../router'
import { ago, time } from '../ui/format'
import { Link } from '../ui/link'
import { Busy, Copyable, Empty, ErrorBox, Page } from '../ui/parts'
import { useAsync } from '../ui/use-async'
import { DataTable } from '../ui/data-table'
import { Loaded } from '../ui/loaded'
import { InvitationsSection } from '../invitations/invitations-section'
import { listOrgs } from './mfa-required-by'

/**
 * @example
 * <AccountPage me={me} onChanged={refreshMe} mfaRequiredBy={[]} />
 */
export function AccountPage(props: { me: Me; onChanged: () => void; mfaRequiredBy: readonly string[] }) {
  const { me } = props
  const required = props.mfaRequiredBy.length > 0 || !me.session.mfa
  return (
    <main className="center wide">
      <p>
        {me.orgs.length > 0 && !required ? <Link to="/">← Back to the console</Link> : null}{' '}
        <button
          type="button"
          className="ghost"
          onClick={() => {
            void api('POST', '/v1/auth/logout', {}).finally(() => {
              signedOut()
              navigate('/login', true)
            })
          }}
        >
          Sign out
        </button>
      </p>
      <Page title={`Account: ${me.admin.name || me.admin.username}`}>
        <p className="muted">
          {me.admin.username} · {me.admin.email}
        </p>
        {required ? <MfaRequiredNotice orgs={props.mfaRequiredBy} /> : null}
        {/* the server refuses these to a session that has not passed MFA */}
        {me.session.mfa && !required ? <InvitationsSection onAccepted={props.onChanged} /> : null}
        <MfaSection me={me} onChanged={props.onChanged} />
        {me.session.mfa ? <MySessions /> : null}
      </Page>
    </main>
  )
}

function MfaRequiredNotice(props: { orgs: readonly string[] }) {
  const n = props.orgs.length
  return (
    <div className="notice" role="status" data-testid="mfa-required">
      {n === 0 ? (
        <>Two-factor authentication is required before you can use the console.</>
      ) : (
        <>
          {n === 1 ? 'Organisation' : 'Organisations'} <strong>{listOrgs(props.orgs)}</strong> {n === 1 ? 'requires' : 'require'} two-factor
          authentication of every admin.
        </>
      )}{' '}
      Set up an authenticator app below: until you do, this session can do nothing else (or sign out). The console continues as soon as
      your first code is confirmed.
    </div>
  )
}

function MfaSection(props: { me: Me; onChanged: () => void }) {
  const [enrolment, setEnrolment] = useState<{ secret: string; otpauthUri: string; qrSvg: string } | undefined>(undefined)
  const [code, setCode] = useState('')
  const [password, setPassword] = useState('')
  const [codes, setCodes] = useState<string[] | undefined>(undefined)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(undefined)

  const start = async (e: FormEvent): Promise<void> => {
    e.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      // the server asks for the password again: a stolen session alone cannot bind its own authenticator
      setEnrolment(await api('POST', '/v1/me/mfa/totp', { password }))
      setPassword('')
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }
  const confirm = async (e: FormEvent): Promise<void> => {
    e.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      const answer = await api<{ recoveryCodes: string[] }>('POST', '/v1/me/mfa/totp/confirm', { code: code.trim() })
      setCodes(answer.recoveryCodes)
      setEnrolment(undefined)
    } catch (err) {
      setError(err)
    } finally {
      setBusy(false)
    }
  }

  if (codes !== undefined) {
    return (
      <section className="card" aria-labelledby="mfa-title">
        <h2 id="mfa-title">Recovery codes</h2>
        <p>
          Two-factor authentication is on. Keep these codes somewhere safe: each signs you in once if you lose your authenticator. They are
          shown only now.
        </p>
        <ul className="codes" data-testid="recovery-codes">
          {codes.map((c) => (
            <li key={c}>
              <code>{c}</code>
            </li>
          ))}
        </ul>
        <button
          type="button"
          onClick={() => {
            setCodes(undefined)
            props.onChanged()
          }}
        >
          I have saved them — continue
        </button>
      </section>
    )
  }
  return (
    <section className="card" aria-labelledby="mfa-title">
      <h2 id="mfa-title">Two-factor authentication</h2>
      {props.me.admin.mfaEnabled && enrolment === undefined ? (
        <p className="ok">On: sign-ins ask for a code from your authenticator app.</p>
      ) : enrolment === undefined ? (
        <>
          <p>Off. Protect your account with an authenticator app (TOTP).</p>
          <form className="form" onSubmit={(e) => void start(e)} aria-label="Set up an authenticator app">
            <label>
              Your password (to confirm it is you)
              <input type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
            </label>
            <button type="submit" disabled={busy}>
              Set up an authenticator app
            </button>
          </form>
        </>
      ) : (
        <form className="form" onSubmit={(e) => void confirm(e)} aria-label="Confirm the authenticator">
          <p>Scan this code with your authenticator app, or enter the secret by hand, then type the 6-digit code it shows.</p>
          <img className="qr" alt="QR code of the authenticator secret" src={`data:image/svg+xml;charset=utf-8,${encodeURIComponent(enrolment.qrSvg)}`} width={200} height={200} />
          <Copyable text={enrolment.secret} label="totp-secret" />
          <label>
            Code
            <input name="code" inputMode="numeric" autoComplete="one-time-code" required pattern="[0-9 ]{6,8}" value={code} onChange={(e) => setCode(e.target.value)} />
          </label>
          <button type="submit" disabled={busy}>
            Turn on
          </button>
        </form>
      )}
      {busy ? <Busy label="Working…" /> : null}
      <ErrorBox error={error} />
    </section>
  )
}

function MySessions() {
  const sessions = useAsync(async () => (await api<{ sessions: SessionView[] }>('GET', '/v1/me/sessions')).sessions, [])
  const [error, setError] = useState<unknown>(undefined)
  const revoke = async (id: string): Promise<void> => {
    try {
      await api('DELETE', `/v1/me/sessions/${seg(id)}`)
      sessions.reload()
    } catch (e) {
      setError(e)
    }
  }
  return (
    <section className="card" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Your sessions</h2>
      <Loaded state={sessions} error={error} empty={(list) => list.length === 0 && <Empty title="No other sessions." />}>
        {(list) => (
          <DataTable
            rows={list}
            rowKey={(x) => x.id}
            columns={[
              ['Started', (x) => time(x.createdAt)],
              ['Last seen', (x) => ago(x.lastSeenAt)],
              ['Expires', (x) => time(x.expiresAt)],
              ['From', (x) => x.sourceAddr ?? '—'],
              ['Browser', (x) => <span className="clip">{x.userAgent ?? '—'}</span>],
              [
                '',
                (x) =>
                  x.current === true ? (
                    <span className="muted">this one</span>
                  ) : (
                    <button type="button" className="small" onClick={() => void revoke(x.id)}>
                      Revoke
                    </button>
                  ),
              ],
            ]}
          />
        )}
      </Loaded>
    </section>
  )
}
