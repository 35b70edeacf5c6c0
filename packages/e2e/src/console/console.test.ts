/**
 * The web console in a real Chromium against real processes: a server on
 * SQLite, a witness, CLI keystores, a real agent. One browser, one context
 * per admin. Every step fails on any console or page error, and the main
 * pages are saved as docs/screenshots/*.png (1366×768) for the README.
 *
 * The path: first-run setup in the browser (signed root draft + owner
 * account) → sign-in with TOTP → enrolling a device with the install
 * command shown → two admins approve a command in two browser contexts,
 * signing with their CLI keys imported into the browser, and watch it
 * complete on the agent → the log page verifies an entry in the browser,
 * and fails to once the stored entry is tampered with.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import type { Browser } from 'playwright-core'
import { ok, Proc } from '../proc.js'
import { ensureChromium, failedRequest, launch, Session } from './browser.js'
import { prepareConsoleOrg, PASSPHRASE, type ConsoleAdmin, type ConsoleOrg } from './console-org.js'
import { isFocused } from './keyboard.js'
import { stepNow, totpAt } from './totp.js'

const chromium = ensureChromium()
const skip = typeof chromium === 'string' ? chromium : false
const PASSWORDS: Record<ConsoleAdmin, string> = { alice: 'correct horse battery staple 42', bob: 'seventeen horses in the rain 17' }

describe('the web console in Chromium', { timeout: 180_000, skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-console-e2e-'))
  let org: ConsoleOrg
  let browser: Browser
  let alice: Session
  let bob: Session
  let agent: Proc | undefined
  const secrets: Partial<Record<ConsoleAdmin, string>> = {}
  let commandId = ''
  let apiKey = ''
  let logIndex = -1

  before(async () => {
    ;[org, browser] = await Promise.all([prepareConsoleOrg(dir), launch((chromium as { path: string }).path)])
    alice = await Session.open(browser, org.url, 'alice')
    bob = await Session.open(browser, org.url, 'bob')
  })

  after(async () => {
    // on failure, what each browser showed last
    await alice?.page.screenshot({ path: join(tmpdir(), 'palisade-console-e2e-alice.png') }).catch(() => {})
    await bob?.page.screenshot({ path: join(tmpdir(), 'palisade-console-e2e-bob.png') }).catch(() => {})
    await browser?.close()
    await Promise.all([agent?.stop(), org?.stop()])
    rmSync(dir, { recursive: true, force: true })
  })

  /** Enrols TOTP on the account page, as an authenticator app would from the secret shown. */
  async function enrolTotp(s: Session, who: ConsoleAdmin): Promise<void> {
    const p = s.page
    await p.getByRole('banner').getByRole('link', { name: /Alice|Bob/ }).click()
    await p.getByText('Off. Protect your account').waitFor()
    await p.getByLabel('Your password (to confirm it is you)').fill(PASSWORDS[who])
    await p.getByRole('button', { name: 'Set up an authenticator app' }).click()
    const secret = (await p.getByTestId('totp-secret').textContent())!.trim()
    assert.match(secret, /^[A-Z2-7]+=*$/)
    secrets[who] = secret
    assert.ok(await p.getByRole('img', { name: 'QR code of the authenticator secret' }).isVisible())
    await p.getByLabel('Code').fill(totpAt(secret, stepNow()))
    await p.getByRole('button', { name: 'Turn on' }).click()
    const codes = p.getByTestId('recovery-codes').locator('li')
    await codes.first().waitFor()
    assert.equal(await codes.count(), 10)
    if (who === 'alice') await s.screenshot('mfa-recovery-codes')
    await p.getByRole('button', { name: /I have saved them/ }).click()
    await p.getByText('On: sign-ins ask for a code').waitFor()
    await p.getByRole('link', { name: '← Back to the console' }).click()
    await p.getByRole('heading', { name: 'Devices' }).waitFor()
  }

  async function signIn(s: Session, who: ConsoleAdmin, code?: string): Promise<void> {
    const p = s.page
    await p.goto('/login')
    await p.getByLabel('Username or email').fill(who)
    await p.getByLabel('Password').fill(PASSWORDS[who])
    if (code !== undefined) await p.getByLabel(/Authentication code/).fill(code)
    await p.getByRole('button', { name: 'Sign in', exact: true }).click()
  }

  /** Pins the fingerprint org init printed, unless this browser pinned it at setup. */
  async function pin(s: Session): Promise<void> {
    await s.page.goto('/orgs/acme/settings')
    const pinned = s.page.getByTestId('pinned-fingerprint')
    const field = s.page.getByLabel('Root fingerprint', { exact: true })
    await pinned.or(field).waitFor()
    if (await field.isVisible()) {
      await field.fill(org.fingerprint)
      await s.page.getByRole('button', { name: 'Pin' }).click()
      await pinned.waitFor()
    }
    assert.equal(await s.page.getByTestId('pinned-fingerprint').textContent(), org.fingerprint)
  }

  async function importKey(s: Session, who: ConsoleAdmin): Promise<void> {
    const p = s.page
    await p.goto('/orgs/acme/keys')
    await p.getByLabel(/Key file/).setInputFiles(org.keyFile(who))
    await p.getByLabel('Passphrase').fill(PASSPHRASE)
    await p.getByRole('button', { name: 'Import' }).click()
    await p.getByText(`Imported key ${who}.`).waitFor({ timeout: 60_000 })
    await p.getByRole('row', { name: new RegExp(`^${who} `) }).getByText('admin', { exact: true }).waitFor()
  }

  it('creates the org and its owner from the first-run setup page, with the signed root draft', async () => {
    const p = alice.page
    await p.goto('/setup')
    await p.getByLabel(/With the CLI, by several admins/).check()
    await p.getByLabel('Setup code').fill(org.setupCode)
    await p.getByLabel('Signed root draft (root.json)').setInputFiles(org.rootDraft)
    await p.getByText('2 signature(s), verified in this browser').waitFor()
    await p.getByLabel('Username').fill('alice')
    await p.getByLabel('Email').fill('alice@example.com')
    await p.getByLabel('Full name').fill('Alice Admin')
    await p.getByLabel(/^Password/).fill(PASSWORDS.alice)
    await alice.screenshot('setup-upload')
    await p.getByRole('button', { name: 'Create the organisation' }).click()
    await p.getByRole('heading', { name: 'Organisation acme is ready' }).waitFor({ timeout: 30_000 })
    assert.equal(await p.getByTestId('fingerprint').textContent(), org.fingerprint)
    assert.match((await p.getByTestId('api-key').textContent())!, /^pal_/)
    apiKey = (await p.getByTestId('api-key').textContent())!
    // setup signed the owner in
    await p.getByRole('button', { name: 'Continue to the console as alice' }).click()
    await p.getByRole('heading', { name: 'Devices' }).waitFor()
    await p.getByRole('button', { name: 'Sign out' }).click()
    await p.getByRole('heading', { name: 'Sign in' }).waitFor()
    alice.assertClean()
  })

  it('signs in, enrols TOTP with the QR secret; sent the password alone, the console then asks for the code', async () => {
    const p = alice.page
    await signIn(alice, 'alice')
    await p.getByRole('heading', { name: 'Devices' }).waitFor()
    await enrolTotp(alice, 'alice')
    await p.getByRole('button', { name: 'Sign out' }).click()
    await p.getByRole('heading', { name: 'Sign in' }).waitFor()
    // The password alone: 401 SRV_MFA_CODE_REQUIRED, which Chromium logs as a
    // failed resource. Exactly that one message is expected, in this step only.
    await alice.expectConsoleError(failedRequest(401, '/v1/auth/login'), async () => {
      await signIn(alice, 'alice')
      await p.getByText('required for this account').waitFor()
    })
    const codeField = p.getByLabel(/Authentication code/)
    assert.ok(await codeField.evaluate(isFocused), 'the code field has the focus')
    assert.equal(await p.getByLabel('Password').inputValue(), PASSWORDS.alice, 'the password is kept for the retry')
    // the enrolment used this step's code: a replay is refused, the next step is accepted (±1 step)
    await codeField.fill(totpAt(secrets.alice!, stepNow() + 1))
    await alice.screenshot('sign-in-code')
    await p.getByRole('button', { name: 'Sign in', exact: true }).click()
    await p.getByRole('heading', { name: 'Devices' }).waitFor()
    assert.equal(new URL(p.url()).pathname, '/orgs/acme/devices')
    alice.assertClean()
  })

  it('enrolls a device with the install command shown, and it appears live', async () => {
    const p = alice.page
    await pin(alice)
    await alice.screenshot('settings-trust-root')
    await p.getByRole('link', { name: 'Devices' }).click()
    await p.getByText('No devices yet.').waitFor()
    await p.getByRole('button', { name: 'Create install command' }).click()
    const install = (await p.getByTestId('install-command').textContent())!
    assert.match(install, new RegExp(`^palisade agent enroll --server \\S+ --token \\S+ --fingerprint ${org.fingerprint}$`))
    await alice.screenshot('devices-empty-enroll')
    const stateDir = join(dir, 'agent')
    const enrolled = JSON.parse(await ok(['--json', ...install.split(' ').slice(1), '--state-dir', stateDir]))
    agent = new Proc(['agent', 'run', '--state-dir', stateDir], {}, 'agent')
    // no reload: the live stream brings the device, then its online state
    const row = p.getByRole('row', { name: new RegExp(enrolled.deviceId) })
    await row.getByText('online', { exact: true }).waitFor({ timeout: 30_000 })
    await alice.screenshot('devices')
    // the directory, through the API with the setup's key: a person, and a device group holding the device
    const call = async (method: string, path: string, body?: unknown): Promise<{ id: string }> => {
      const res = await fetch(`${org.url}/v1/orgs/acme${path}`, {
        method,
        headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      })
      const text = await res.text()
      assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`)
      return JSON.parse(text) as { id: string }
    }
    await call('POST', '/people', { username: 'dana', email: 'dana@example.com', name: 'Dana Device' })
    const group = await call('POST', '/groups', { kind: 'device', name: 'laptops' })
    await call('PUT', `/groups/${group.id}/members/${enrolled.deviceId}`)
    await row.getByRole('link').click()
    await p.getByRole('heading', { name: 'Inventory' }).waitFor()
    await p.getByText('Reported by the device').waitFor()
    // the device page shows its groups and assigns it to a person
    assert.equal(await p.getByTestId('device-groups').textContent(), 'laptops')
    await p.getByTestId('device-person').getByText('nobody yet').waitFor()
    await p.getByLabel('Assign to', { exact: true }).selectOption({ label: 'Dana Device (dana)' })
    await p.getByRole('button', { name: 'Assign', exact: true }).click()
    await p.getByTestId('device-person').getByText('Dana Device (dana, dana@example.com)').waitFor()
    await alice.screenshot('device')
    const bound = (await (await fetch(`${org.url}/v1/orgs/acme/devices/${enrolled.deviceId}`, { headers: { authorization: `Bearer ${apiKey}` } })).json()) as { personId: string }
    assert.match(bound.personId, /\S/)
    alice.assertClean()
  })

  it('two admins approve a command in two browsers with keys imported from the CLI; it completes on the agent', async () => {
    // alice gives bob a console account
    const p = alice.page
    await p.getByRole('link', { name: 'Admins' }).click()
    await p.getByRole('button', { name: 'Add an admin' }).click()
    const form = p.getByRole('form', { name: 'Add an admin' })
    await form.getByLabel('Create a new account').check()
    await form.getByLabel('Username', { exact: true }).fill('bob')
    await form.getByLabel('Role').selectOption('admin')
    await form.getByLabel('Email').fill('bob@example.com')
    await form.getByLabel('Name', { exact: true }).fill('Bob Builder')
    await form.getByLabel('Initial password').fill(PASSWORDS.bob)
    await form.getByRole('button', { name: 'Create the account' }).click()
    await p.getByRole('cell', { name: 'bob@example.com' }).waitFor()
    await alice.screenshot('admins')

    await signIn(bob, 'bob')
    await bob.page.getByRole('heading', { name: 'Devices' }).waitFor()
    await enrolTotp(bob, 'bob')
    // an account with TOTP signs in with one request when the code goes with the password
    await bob.page.getByRole('button', { name: 'Sign out' }).click()
    await bob.page.getByRole('heading', { name: 'Sign in' }).waitFor()
    await signIn(bob, 'bob', totpAt(secrets.bob!, stepNow() + 1))
    await bob.page.getByRole('heading', { name: 'Devices' }).waitFor()
    await pin(bob)
    await Promise.all([importKey(alice, 'alice'), importKey(bob, 'bob')])
    await alice.screenshot('signing-keys')

    // alice drafts
    await p.getByRole('link', { name: 'Commands' }).click()
    await p.getByText('No commands yet.').waitFor()
    await p.getByRole('link', { name: 'New command' }).first().click()
    await p.getByLabel('Script').fill('echo hello-from-the-console')
    await p.getByRole('button', { name: 'Save draft and review' }).click()
    await p.getByRole('heading', { name: 'What you sign' }).waitFor()
    commandId = new URL(p.url()).pathname.split('/').pop()!
    assert.match(commandId, /^cmd-[0-9a-f]{20}$/)
    const payload = p.getByTestId('payload')
    assert.equal(await payload.locator('pre.script').textContent(), 'echo hello-from-the-console')
    await payload.getByText('every device of the org').waitFor()
    await p.getByRole('button', { name: 'Approve and sign as alice' }).click()
    await p.getByText('1 of 2 signatures').waitFor()

    // bob reviews the same bytes and signs: the threshold is met
    await bob.page.goto(`/orgs/acme/commands/${commandId}`)
    assert.equal(await bob.page.getByTestId('payload-sha256').textContent(), await p.getByTestId('payload-sha256').textContent())
    await bob.screenshot('command-approval')
    await bob.page.getByRole('button', { name: 'Approve and sign as bob' }).click()

    // both pages follow it live to completion on the real agent
    for (const s of [bob, alice]) {
      await s.page.getByRole('heading', { name: 'Progress' }).waitFor({ timeout: 30_000 })
      await s.page.getByText('1 of 1 devices answered').waitFor({ timeout: 30_000 })
      await s.page.getByRole('cell').getByText('completed', { exact: true }).waitFor()
    }
    await alice.page.getByText('stdout / stderr').click()
    await alice.page.locator('pre.output').getByText('hello-from-the-console').waitFor()
    const status = (await alice.page.getByText(/Status .* log entry \d+/).textContent())!
    logIndex = Number(status.match(/log entry (\d+)/)![1])
    await alice.screenshot('command-done')
    await p.getByRole('link', { name: '← Commands' }).click()
    await p.getByRole('cell', { name: commandId }).waitFor()
    await alice.screenshot('commands')
    alice.assertClean()
    bob.assertClean()
  })

  it('verifies the command\'s log entry in the browser, and fails once the stored entry is tampered with', async () => {
    const p = alice.page
    await p.getByRole('link', { name: 'Log' }).click()
    await p.getByRole('button', { name: `Verify entry ${logIndex}` }).click()
    const result = p.getByTestId('verification')
    await result.getByText('verified', { exact: true }).waitFor({ timeout: 30_000 })
    assert.match((await result.textContent())!, /✓ Root of trust.*✓ Checkpoint.*witness\.console.*✓ Inclusion.*✓ Signatures: signed by (alice, bob|bob, alice)/s)
    await alice.screenshot('log')

    const db = new Database(join(org.dataDir, 'palisade.db'))
    const row = db.prepare('SELECT leaf_data FROM log_entries WHERE org_id = ? AND idx = ?').get('acme', logIndex) as { leaf_data: Buffer }
    const env = JSON.parse(row.leaf_data.toString())
    env.payload = Buffer.from(Buffer.from(env.payload, 'base64').toString().replace('hello-from-the-console', 'rm -rf /tmp/x')).toString('base64')
    db.prepare('UPDATE log_entries SET leaf_data = ? WHERE org_id = ? AND idx = ?').run(Buffer.from(JSON.stringify(env)), 'acme', logIndex)
    db.close()

    await p.getByLabel('Entry index').fill(String(logIndex))
    await p.getByRole('button', { name: 'Verify', exact: true }).click()
    await result.getByText('verification failed').waitFor({ timeout: 30_000 })
    assert.match((await result.textContent())!, /✗ Inclusion/)
    await alice.screenshot('log-tampered')
    alice.assertClean()
  })

  it('shows the other pages without errors (alerts, audit, people, groups, API keys, sessions, account)', async () => {
    const p = alice.page
    for (const [link, heading, shot] of [
      ['Alerts', 'Alerts', 'alerts'],
      ['Audit', 'Audit', 'audit'],
      ['People', 'People', 'people'],
      ['Groups', 'Groups', undefined],
      ['API keys', 'API keys', undefined],
      ['Sessions', 'Sessions', undefined],
    ] as const) {
      await p.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: link }).click()
      await p.getByRole('heading', { name: heading, exact: true }).waitFor()
      if (link === 'Audit') await p.getByRole('cell', { name: 'command.sign' }).first().waitFor()
      if (link === 'People') await p.getByRole('cell', { name: 'dana@example.com' }).waitFor()
      if (shot !== undefined) await alice.screenshot(shot)
    }
    alice.assertClean()
  })
})
