/**
 * The console: who is signed in (GET /v1/me), and which page the path
 * names. Signed-out visitors see the sign-in page; a session that must
 * enrol TOTP (an org requires MFA; the server grants it nothing else) sees
 * only the enrolment, whatever the path, and once a code is confirmed the
 * path it came for (mfa-required-by.ts).
 */
import { useEffect, useState } from 'react'
import { api, isApiError } from './api/http'
import { csrfToken, onMfaRequired, onSignedOut } from './api/session'
import type { Me } from './api/types'
import { OrgLayout } from './layout'
import { match, navigate, usePath } from './router'
import { AccountPage } from './pages/account'
import { mfaRequiredBy } from './pages/mfa-required-by'
import { InvitationsSection } from './invitations/invitations-section'
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
  // refresh only uses setters and module state: the first render's closure stays right
  useEffect(() => onMfaRequired(refresh), [])

  if (path === '/setup') return <SetupPage onSignedIn={refresh} />
  if (error !== undefined) return <main className="center"><ErrorBox error={error} /></main>
  if (me === undefined) return <main className="center"><Busy /></main>
  if (me === null) return <LoginPage onSignedIn={refresh} />

  const requiredBy = mfaRequiredBy(me)
  if (!me.session.mfa || requiredBy.length > 0 || path === '/account' || path.startsWith('/account/')) {
    return <AccountPage me={me} onChanged={refresh} mfaRequiredBy={requiredBy} />
  }
  const orgPath = match('/orgs/:org', path.split('/').slice(0, 3).join('/'))
  if (orgPath === undefined || path === '/' || path === '/login') {
    return <Home me={me} onChanged={refresh} />
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
function Home(props: { me: Me; onChanged: () => void }) {
  const { orgs } = props.me
  useEffect(() => {
    if (orgs.length >= 1) navigate(`/orgs/${encodeURIComponent(orgs[0]!.id)}/devices`, true)
  }, [orgs])
  if (orgs.length === 0) {
    return (
      <main className="center">
        <h1>No organisation yet</h1>
        <p>
          Your account holds no role in any organisation. An owner can invite you (under <em>Admins</em>; the invitation appears below),
          or, on a new server, create the organisation first: see <a href="/setup">first-run setup</a>.
        </p>
        <InvitationsSection onAccepted={props.onChanged} />
        <p>
          <a href="/account">Your account</a>
        </p>
      </main>
    )
  }
  return <main className="center"><Busy /></main>
}
