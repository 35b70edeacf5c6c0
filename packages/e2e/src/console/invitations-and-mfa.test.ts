/**
 * Console accounts across orgs, in a real Chromium against a real server
 * (SQLite): two orgs on one server, each created by `palisade org init`
 * with its owner's console account (the server restarts in between for a
 * second setup code, as an operator would).
 *
 * - An MSP admin of acme is invited into globex from globex's Admins page
 *   (which says "invitation sent", as it does for a name no account has),
 *   sees the invitation in the header, accepts it on the account page and
 *   switches to globex in the same session: one sign-in in all. A decline
 *   leaves the org switcher as it was.
 * - globex then requires MFA: a new admin without TOTP signs in to an
 *   enrol-only session, is taken to enrolment naming globex, enrols with a
 *   code computed here, and lands on globex's devices page; an admin of
 *   globex already signed in without TOTP is sent to enrolment too.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Browser } from 'playwright-core'
import { freePort } from '../free-port.js'
import { ok, Proc } from '../proc.js'
import { ensureChromium, launch, Session } from './browser.js'
import { stepNow, totpAt } from './totp.js'

const chromium = ensureChromium()
const skip = typeof chromium === 'string' ? chromium : false
const PASSWORDS = { alice: 'correct horse battery staple 42', carol: 'a long walk to the lighthouse 9', dave: 'keeper of the night shift 31' } as const
type Who = keyof typeof PASSWORDS

describe('invitations and required MFA in the console', { timeout: 120_000, skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-console-accounts-'))
  let url = ''
  let server: Proc | undefined
  let browser: Browser
  const sessions: Partial<Record<Who, Session>> = {}
  let globexKey = ''

  /** Starts the server on `port` (same data each time); resolves with the setup code it printed. */
  async function startServer(port: number): Promise<string> {
    server = new Proc(['server', '--listen', `127.0.0.1:${port}`, '--data', join(dir, 'data')], {}, 'server')
    const code = (await server.waitFor(/setup code[^:]*: ([A-Z0-9-]+)/))[1]!
    await server.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/)
    return code
  }

  /** `palisade org init` in one step: one signing key, no witness, and the owner's console account. */
  async function createOrg(org: string, owner: Who, setupCode: string): Promise<string> {
    const home = { PALISADE_PASSPHRASE: 'e2e passphrase, long enough', PALISADE_HOME: join(dir, `home-${org}`) }
    const passwordFile = join(dir, `${owner}.password`)
    writeFileSync(passwordFile, `${PASSWORDS[owner]}\n`, { mode: 0o600 })
    await ok(['key', 'generate', '--name', 'ops'], home)
    await ok(
      ['org', 'init', '--server', url, '--setup-code', setupCode, '--org', org, '--admin-key', 'ops', '--threshold', '1', '--sign-with', 'ops',
        '--owner-username', owner, '--owner-email', `${owner}@example.com`, '--owner-name', `${owner[0]!.toUpperCase()}${owner.slice(1)} Owner`,
        '--owner-password-file', passwordFile],
      home,
    )
    return JSON.parse(readFileSync(join(home.PALISADE_HOME, 'config.json'), 'utf8')).apiToken as string
  }

  async function orgCall(method: string, path: string, body: unknown): Promise<unknown> {
    const res = await fetch(`${url}/v1/orgs/globex${path}`, {
      method,
      headers: { authorization: `Bearer ${globexKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    const text = await res.text()
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`)
    return JSON.parse(text)
  }

  before(async () => {
    const port = await freePort()
    url = `http://127.0.0.1:${port}`
    const orgs = (async () => {
      await createOrg('acme', 'alice', await startServer(port))
      // a setup code is good for one org: the next one comes with the next start
      await server!.stop()
      globexKey = await createOrg('globex', 'carol', await startServer(port))
    })()
    ;[browser] = await Promise.all([launch((chromium as { path: string }).path), orgs])
    for (const who of ['alice', 'carol', 'dave'] as const) sessions[who] = await Session.open(browser, url, who)
  })

  after(async () => {
    for (const [who, s] of Object.entries(sessions)) await s.page.screenshot({ path: join(tmpdir(), `palisade-console-accounts-${who}.png`) }).catch(() => {})
    await browser?.close()
    await server?.stop()
    rmSync(dir, { recursive: true, force: true })
  })

  /** Signs in from /login; counts the sign-in requests this browser sends. */
  const signIns: Record<Who, number> = { alice: 0, carol: 0, dave: 0 }
  async function signIn(who: Who): Promise<void> {
    const p = sessions[who]!.page
    p.on('request', (r) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname === '/v1/auth/login') signIns[who]++
    })
    await p.goto('/login')
    await p.getByLabel('Username or email').fill(who)
    await p.getByLabel('Password').fill(PASSWORDS[who])
    await p.getByRole('button', { name: 'Sign in', exact: true }).click()
  }

  async function invite(s: Session, identifier: string, role: string): Promise<void> {
    const p = s.page
    await p.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Admins' }).click()
    await p.getByRole('button', { name: 'Add an admin' }).click()
    const form = p.getByRole('form', { name: 'Add an admin' })
    assert.ok(await form.getByLabel(/Invite an existing account/).isChecked(), 'inviting is the default')
    await form.getByLabel('Username or email').fill(identifier)
    await form.getByLabel('Role').selectOption(role)
    await form.getByRole('button', { name: 'Send the invitation' }).click()
    const sent = p.getByTestId('invitation-sent')
    await sent.getByText(identifier, { exact: true }).waitFor()
    assert.match((await sent.textContent())!, new RegExp(`^Invitation sent to ${identifier} as ${role} \\(if such an account exists, it appears in their console\\)`))
  }

  it('an MSP admin of acme invited into globex accepts in the console and switches to globex without signing in again', async () => {
    const carol = sessions.carol!
    const alice = sessions.alice!
    await signIn('carol')
    await carol.page.getByRole('heading', { name: 'Devices' }).waitFor()
    assert.equal(new URL(carol.page.url()).pathname, '/orgs/globex/devices')
    // the same answer for a name no account has: the org learns nothing
    await invite(carol, 'nobody-by-this-name', 'helpdesk')
    await invite(carol, 'alice', 'admin')
    await carol.screenshot('admins-invitation-sent')

    await signIn('alice')
    await alice.page.getByRole('heading', { name: 'Devices' }).waitFor()
    assert.equal(new URL(alice.page.url()).pathname, '/orgs/acme/devices')
    const switcher = alice.page.getByRole('combobox', { name: 'Organisation' })
    assert.deepEqual(await switcher.locator('option').allTextContents(), ['acme (owner)'])
    await alice.page.getByTestId('invitations-badge').getByText('1 invitation').waitFor()
    await alice.screenshot('header-invitation')
    await alice.page.getByTestId('invitations-badge').click()
    const row = alice.page.getByRole('row', { name: /^globex admin / })
    await row.waitFor()
    await alice.screenshot('account-invitations')
    await row.getByRole('button', { name: 'Accept the invitation to globex' }).click()
    await alice.page.getByText('You are now admin in globex.').waitFor()
    await alice.page.getByText('No pending invitations.').waitFor()

    // the same session: the org switcher now offers globex
    await alice.page.getByRole('link', { name: '← Back to the console' }).click()
    await alice.page.getByRole('heading', { name: 'Devices' }).waitFor()
    assert.equal(await alice.page.getByTestId('invitations-badge').count(), 0, 'no invitation left in the header')
    assert.deepEqual(await switcher.locator('option').allTextContents(), ['acme (owner)', 'globex (admin)'])
    await switcher.selectOption('globex')
    await alice.page.waitForURL(/\/orgs\/globex\/devices$/)
    await alice.page.getByText('No devices yet.').waitFor()
    assert.equal(signIns.alice, 1, 'alice signed in once')

    // a declined invitation changes nothing: carol, invited into acme, says no
    await switcher.selectOption('acme')
    await alice.page.waitForURL(/\/orgs\/acme\/devices$/)
    await invite(alice, 'carol@example.com', 'read-only')
    await carol.page.reload()
    carol.page.once('dialog', (d) => void d.accept())
    await carol.page.getByTestId('invitations-badge').getByText('1 invitation').click()
    await carol.page.getByRole('button', { name: 'Decline the invitation to acme' }).click()
    await carol.page.getByText('No pending invitations.').waitFor()
    await carol.page.getByRole('link', { name: '← Back to the console' }).click()
    await carol.page.getByRole('heading', { name: 'Devices' }).waitFor()
    assert.deepEqual(await carol.page.getByRole('combobox', { name: 'Organisation' }).locator('option').allTextContents(), ['globex (owner)'])
    alice.assertClean()
    carol.assertClean()
  })

  it('an org requiring MFA takes a new admin without TOTP to enrolment, then to the devices page', async () => {
    await orgCall('PATCH', '/settings', { requireMfa: true })
    await orgCall('POST', '/admins', { username: 'dave', email: 'dave@example.com', name: 'Dave Night', password: PASSWORDS.dave, role: 'helpdesk' })
    const dave = sessions.dave!
    const p = dave.page
    await signIn('dave')
    const notice = p.getByTestId('mfa-required')
    await notice.waitFor()
    assert.match((await notice.textContent())!, /^Organisation globex requires two-factor authentication of every admin\./)
    assert.equal(await p.getByRole('navigation', { name: 'Sections' }).count(), 0, 'nothing but enrolment')
    await p.getByLabel('Your password (to confirm it is you)').fill(PASSWORDS.dave)
    await dave.screenshot('mfa-enrolment-required')
    await p.getByRole('button', { name: 'Set up an authenticator app' }).click()
    const secret = (await p.getByTestId('totp-secret').textContent())!.trim()
    await p.getByLabel('Code').fill(totpAt(secret, stepNow()))
    await p.getByRole('button', { name: 'Turn on' }).click()
    await p.getByTestId('recovery-codes').locator('li').first().waitFor()
    await p.getByRole('button', { name: /I have saved them/ }).click()
    await p.getByRole('heading', { name: 'Devices' }).waitFor()
    assert.equal(new URL(p.url()).pathname, '/orgs/globex/devices')
    await p.getByText('No devices yet.').waitFor()
    assert.equal(signIns.dave, 1, 'no second sign-in after enrolment')

    // alice, signed in before globex required MFA and without TOTP, is sent to enrolment on her next visit
    await sessions.alice!.page.goto('/orgs/acme/devices')
    assert.match((await sessions.alice!.page.getByTestId('mfa-required').textContent())!, /^Organisation globex requires/)
    dave.assertClean()
    sessions.alice!.assertClean()
  })
})
