/**
 * The console: who is signed in (GET /v1/me), and which page the path
 * names. Signed-out visitors see the sign-in page; a session without MFA
 * is sent to enrol it (the server grants no org access until then).
 */
import { useEffect, useState } from 'react'
import { api, isApiError } from './api/http'
import { csrfToken, onSignedOut } from './api/session'
import type { Me } from './api/types'
import { OrgLayout } from './layout'
import { match, navigate, usePath } from './router'
import { AccountPage } from './pages/account'
import { LoginPage } from './pages/login'
import { SetupPage } from './pages/setup'
import { Busy, ErrorBox } from './ui/parts'

export function App() {
  const path = usePath()
  const [me, setMe] = useState<Me | null | undefined>(undefined)
  const [error, setError] = useState<unknown>(undefined)

  const refresh = (): void => {
    // Without a CSRF token this browser holds no session: no need to ask (and log a 401).
    if (csrfToken() === undefined) {
      setMe(null)
      return
    }
    api<Me>('GET', '/v1/me').then(
      (m) => {
        setMe(m)
        setError(undefined)
      },
      (e: unknown) => {
        if (isApiError(e) && (e.status === 401 || e.status === 403)) setMe(null)
        else setError(e)
      },
    )
  }
  useEffect(refresh, [])
  useEffect(() => onSignedOut(() => setMe(null)), [])

  if (path === '/setup') return <SetupPage onSignedIn={refresh} />
  if (error !== undefined) return <main className="center"><ErrorBox error={error} /></main>
  if (me === undefined) return <main className="center"><Busy /></main>
  if (me === null) return <LoginPage onSignedIn={refresh} />

  const needsMfa = !me.session.mfa
  if (needsMfa || path === '/account' || path.startsWith('/account/')) {
    return <AccountPage me={me} onChanged={refresh} mfaRequired={needsMfa} />
  }
  const orgPath = match('/orgs/:org', path.split('/').slice(0, 3).join('/'))
  if (orgPath === undefined || path === '/' || path === '/login') {
    return <Home me={me} />
  }
  const org = me.orgs.find((o) => o.id === orgPath['org'])
  if (org === undefined) {
    return (
      <main className="center">
        <ErrorBox error={new Error(`you have no role in organisation ${orgPath['org']}`)} />
        <p>
          <a href="/">Back to your organisations</a>
        </p>
      </main>
    )
  }
  return <OrgLayout me={me} org={org} path={path} onSignedOut={() => setMe(null)} />
}

/** `/`: straight to the only org, or a list of them. */
function Home(props: { me: Me }) {
  const { orgs } = props.me
  useEffect(() => {
    if (orgs.length >= 1) navigate(`/orgs/${encodeURIComponent(orgs[0]!.id)}/devices`, true)
  }, [orgs])
  if (orgs.length === 0) {
    return (
      <main className="center narrow">
        <h1>No organisation yet</h1>
        <p>
          Your account holds no role in any organisation. An owner can add you under <em>Admins</em>, or, on a new server, create the
          organisation first: see <a href="/setup">first-run setup</a>.
        </p>
        <p>
          <a href="/account">Your account</a>
        </p>
      </main>
    )
  }
  return <main className="center"><Busy /></main>
}
