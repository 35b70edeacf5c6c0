/**
 * Sign-in: username (or email) and password; when the account has TOTP,
 * the server answers SRV_MFA_CODE_REQUIRED and the page asks for the code
 * (or a recovery code) and sends everything again in one request.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react'
import { api, isApiError } from '../api/http'
import { rememberSession } from '../api/session'
import type { LoginAnswer } from '../api/types'
import { navigate } from '../router'
import { Busy, ErrorBox } from '../ui/parts'

export function LoginPage(props: { onSignedIn: () => void }) {
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [code, setCode] = useState('')
  // The code field is always there (empty when the account has no TOTP), so a
  // user with TOTP signs in with one request; SRV_MFA_CODE_REQUIRED only highlights it.
  const [needCode, setNeedCode] = useState(false)
  const [recovery, setRecovery] = useState(false)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<unknown>(undefined)
  const codeField = useRef<HTMLInputElement>(null)
  // autoFocus acts only on mount: the field is already there, so move the focus to it
  useEffect(() => {
    if (needCode) codeField.current?.focus()
  }, [needCode])

  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault()
    setBusy(true)
    setError(undefined)
    try {
      const body: Record<string, string> = { username: username.trim(), password }
      if (code.trim() !== '') body[recovery ? 'recoveryCode' : 'totp'] = code.trim()
      const answer = await api<LoginAnswer>('POST', '/v1/auth/login', body)
      rememberSession(answer.csrfToken)
      if (location.pathname === '/login') navigate('/', true)
      props.onSignedIn()
    } catch (err) {
      if (isApiError(err, 'SRV_MFA_CODE_REQUIRED')) {
        setNeedCode(true)
        codeField.current?.focus()
      } else {
        setError(err)
      }
    } finally {
      setBusy(false)
    }
  }

  return (
    <main className="center narrow">
      <h1 className="brand-title">Palisade</h1>
      <form className="card form" onSubmit={(e) => void submit(e)} aria-label="Sign in">
        <h2>Sign in</h2>
        <label>
          Username or email
          <input name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} autoFocus />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        <label>
          {recovery ? 'Recovery code' : 'Authentication code'} {needCode ? <strong className="bad">required for this account</strong> : <span className="muted">(if you set one up)</span>}
          <input
            name="code"
            autoComplete="one-time-code"
            inputMode={recovery ? 'text' : 'numeric'}
            ref={codeField}
            required={needCode}
            aria-invalid={needCode && code.trim() === '' ? true : undefined}
            value={code}
            onChange={(e) => setCode(e.target.value)}
            placeholder={recovery ? 'xxxxx-xxxxx' : '6 digits from your authenticator app'}
          />
        </label>
        <button type="button" className="link" onClick={() => setRecovery(!recovery)}>
          {recovery ? 'Use an authenticator code instead' : 'Use a recovery code instead'}
        </button>
        <ErrorBox error={error} />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        {busy ? <Busy label="Signing in…" /> : null}
      </form>
      <p className="muted">
        New server? <a href="/setup">First-run setup</a>
      </p>
    </main>
  )
}
