/**
 * The frame of every org page: the org switcher (an MSP admin moves between
 * orgs without signing in again: the org is just the URL), the live
 * indicator, a notice of pending invitations, navigation, and the page the
 * path names.
 */
import type { ReactNode } from 'react'
import { api } from './api/http'
import { signedOut } from './api/session'
import type { Me } from './api/types'
import { InvitationsBadge } from './invitations/invitations-badge'
import { useLive, useOrgEvents } from './live/org-events'
import { match, navigate } from './router'
import { Link } from './ui/link'
import { AdminsPage } from './pages/admins'
import { AlertsPage } from './pages/alerts'
import { ApiKeysPage } from './pages/api-keys'
import { AuditPage } from './pages/audit'
import { CommandPage } from './pages/command'
import { CommandsPage } from './pages/commands'
import { NewCommandPage } from './pages/command-new'
import { DevicePage } from './pages/device'
import { DevicesPage } from './pages/devices'
import { GroupsPage } from './pages/groups'
import { KeysPage } from './pages/keys'
import { LogPage } from './pages/log'
import { PeoplePage } from './pages/people'
import { OrgSessionsPage } from './pages/org-sessions'
import { SettingsPage } from './pages/settings'
import { ErrorBox } from './ui/parts'

type OrgRef = Me['orgs'][number]

const NAV: readonly [string, string][] = [
  ['devices', 'Devices'],
  ['commands', 'Commands'],
  ['log', 'Log'],
  ['alerts', 'Alerts'],
  ['people', 'People'],
  ['groups', 'Groups'],
  ['admins', 'Admins'],
  ['api-keys', 'API keys'],
  ['sessions', 'Sessions'],
  ['audit', 'Audit'],
  ['keys', 'Signing keys'],
  ['settings', 'Settings & trust'],
]

export function OrgLayout(props: { me: Me; org: OrgRef; path: string; onSignedOut: () => void }) {
  const { me, org, path } = props
  const base = `/orgs/${encodeURIComponent(org.id)}`
  // keep the org's live stream open while any page of it is shown
  useOrgEvents(org.id, ['device', 'command', 'alert', 'log'], () => {})
  const live = useLive(org.id)
  const section = path.split('/')[3] ?? ''

  const signOut = async (): Promise<void> => {
    try {
      await api('POST', '/v1/auth/logout', {})
    } finally {
      signedOut()
      props.onSignedOut()
      navigate('/login', true)
    }
  }

  return (
    <div className="shell">
      <a className="skip" href="#main">Skip to content</a>
      <header className="topbar">
        <span className="brand">Palisade</span>
        <label className="org-switch">
          <span className="sr-only">Organisation</span>
          <select
            aria-label="Organisation"
            value={org.id}
            onChange={(e) => navigate(`/orgs/${encodeURIComponent(e.target.value)}/${section || 'devices'}`)}
          >
            {me.orgs.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name || o.id} ({o.role})
              </option>
            ))}
          </select>
        </label>
        <span className={`live ${live ? 'on' : 'off'}`} role="status" title={live ? 'Live updates connected' : 'Live updates reconnecting'}>
          {live ? 'Live' : 'Offline'}
        </span>
        <span className="spacer" />
        <InvitationsBadge enabled={me.session.mfa} />
        <Link to="/account" className="who">
          {me.admin.name || me.admin.username}
        </Link>
        <button type="button" className="ghost" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <nav className="sidebar" aria-label="Sections">
        <ul>
          {NAV.map(([slug, label]) => (
            <li key={slug}>
              <Link to={`${base}/${slug}`} aria-current={section === slug ? 'page' : undefined}>
                {label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" className="content" tabIndex={-1}>
        {route(org, path)}
      </main>
    </div>
  )
}

function route(org: OrgRef, path: string): ReactNode {
  const o = org.id
  const m = (pattern: string): Record<string, string> | undefined => match(`/orgs/:org${pattern}`, path)
  let p: Record<string, string> | undefined
  if ((p = m('/devices/:id'))) return <DevicePage org={o} id={p['id']!} />
  if (m('/devices') || m('')) return <DevicesPage org={o} />
  if (m('/commands/new')) return <NewCommandPage org={o} />
  if ((p = m('/commands/:id'))) return <CommandPage org={o} id={p['id']!} />
  if (m('/commands')) return <CommandsPage org={o} />
  if (m('/log')) return <LogPage org={o} />
  if (m('/alerts')) return <AlertsPage org={o} />
  if (m('/people')) return <PeoplePage org={o} />
  if (m('/groups')) return <GroupsPage org={o} />
  if (m('/admins')) return <AdminsPage org={o} />
  if (m('/api-keys')) return <ApiKeysPage org={o} />
  if (m('/sessions')) return <OrgSessionsPage org={o} />
  if (m('/audit')) return <AuditPage org={o} />
  if (m('/keys')) return <KeysPage org={o} />
  if (m('/settings')) return <SettingsPage org={o} />
  return <ErrorBox error={new Error(`no page at ${path}`)} />
}
