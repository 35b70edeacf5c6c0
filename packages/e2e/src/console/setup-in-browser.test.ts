/**
 * First-run setup entirely in the browser, then the console driven with
 * the keyboard alone. A fresh server and a real witness; no CLI keystore:
 * the owner's signing key is created in Chromium (non-extractable,
 * IndexedDB), root v1 is built and signed there, the witness operator runs
 * the add-log command the page shows, and the org is created with its
 * owner signed in. Then root v1 is checked in Node from the fingerprint the
 * page pinned, a real agent enrolls with the install command shown, and a
 * command is drafted and signed with the browser's key using only
 * Tab/Shift+Tab/Enter/Space/arrow keys, and runs on the agent.
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { verifyAnchorRoot } from '@palisade/protocol'
import type { Browser } from 'playwright-core'
import { ok, Proc } from '../proc.js'
import { ensureChromium, failedRequest, launch, Session } from './browser.js'
import { startServerAndWitness, type ServerAndWitness } from './console-processes.js'
import { assertAllReachable, tabTo } from './keyboard.js'

const chromium = ensureChromium()
const skip = typeof chromium === 'string' ? chromium : false
const PASSWORD = 'a long walk to the lighthouse 9'

describe('first-run setup in the browser, then the console by keyboard', { timeout: 120_000, skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-console-setup-'))
  let procs: ServerAndWitness
  let browser: Browser
  let carol: Session
  let agent: Proc | undefined
  let fingerprint = ''
  let apiKey = ''
  let deviceId = ''

  before(async () => {
    ;[procs, browser] = await Promise.all([startServerAndWitness(dir, 'witness.setup'), launch((chromium as { path: string }).path)])
    carol = await Session.open(browser, procs.url, 'carol')
  })

  after(async () => {
    await carol?.page.screenshot({ path: join(tmpdir(), 'palisade-console-setup-carol.png') }).catch(() => {})
    await browser?.close()
    await Promise.all([agent?.stop(), procs?.stop()])
    rmSync(dir, { recursive: true, force: true })
  })

  it('creates the signing key and root v1 in the browser; the org is created once the witness registered the log', async () => {
    const p = carol.page
    await p.goto('/setup')
    await p.getByLabel('Username').fill('carol')
    await p.getByLabel('Email').fill('carol@example.com')
    await p.getByLabel('Full name').fill('Carol Owner')
    await p.getByLabel(/^Password/).fill(PASSWORD)
    await p.getByRole('button', { name: 'Create my signing key' }).click()
    const keyId = (await p.getByTestId('new-key-id').textContent())!
    assert.match(keyId, /^[0-9a-f]{16}$/)
    await p.getByLabel('Setup code').fill(procs.setupCode)
    await p.getByLabel('Organisation id').fill('globex')
    await p.getByLabel('Witness 1 URL').fill(procs.witnessUrl)
    await p.getByLabel('Witness 1 verifier key').fill(procs.witnessKey)
    await carol.screenshot('setup')
    await p.getByRole('button', { name: 'Build and sign root v1' }).click()
    await p.getByRole('heading', { name: 'Root v1 of globex, signed and verified in this browser' }).waitFor()
    fingerprint = (await p.getByTestId('setup-fingerprint').textContent())!
    const addLog = (await p.getByTestId('add-log-1').textContent())!
    const m = addLog.match(/^palisade witness add-log --key '([^']+)' --root-fingerprint ([0-9a-f]{64})$/)
    assert.ok(m, `the add-log command shown: ${addLog}`)
    assert.equal(m[2], fingerprint)
    await carol.screenshot('setup-witness-step')

    // The witness does not know the log yet: the server refuses (503 naming it) and writes nothing.
    await carol.expectConsoleError(failedRequest(503, '/v1/setup'), async () => {
      await p.getByRole('button', { name: 'The witnesses are ready: create the organisation' }).click()
      await p.getByRole('alert').getByText('/witnesses/').waitFor()
    })
    // The operator runs the command shown (on the witness's machine: here, its data directory).
    await ok(['witness', 'add-log', '--data', procs.witnessData, '--key', m[1]!, '--root-fingerprint', m[2]!])
    await p.getByRole('button', { name: 'The witnesses are ready: create the organisation' }).click()
    await p.getByRole('heading', { name: 'Organisation globex is ready' }).waitFor({ timeout: 30_000 })
    assert.equal(await p.getByTestId('fingerprint').textContent(), fingerprint)
    apiKey = (await p.getByTestId('api-key').textContent())!
    await p.getByRole('button', { name: 'Continue to the console as carol' }).click()
    await p.getByRole('heading', { name: 'Devices' }).waitFor()
    carol.assertClean()
  })

  it('made a root v1 that verifies from the pinned fingerprint: carol\'s browser key, 1 of 1, the witness, the max age', async () => {
    const res = await fetch(`${procs.url}/v1/orgs/globex/roots`, { headers: { authorization: `Bearer ${apiKey}` } })
    assert.equal(res.status, 200)
    const { roots } = (await res.json()) as { roots: string[] }
    assert.equal(roots.length, 1)
    const { root } = verifyAnchorRoot(roots[0]!, fingerprint)
    assert.equal(root.org, 'globex')
    assert.deepEqual(root.admins.map((a) => a.name), ['carol'])
    assert.deepEqual(root.thresholds, { command: 1, policy: 1, root: 1, device: 1 })
    assert.deepEqual(root.witnesses, { quorum: 1, keys: [procs.witnessKey] })
    assert.equal(root.checkpointMaxAgeSeconds, 86400)
    const p = carol.page
    await p.goto('/orgs/globex/settings')
    assert.equal(await p.getByTestId('pinned-fingerprint').textContent(), fingerprint)
    await p.goto('/orgs/globex/keys')
    await p.getByRole('row', { name: /^carol / }).getByText('admin', { exact: true }).waitFor()
    carol.assertClean()
  })

  it('enrolls a real agent with the install command shown', async () => {
    const p = carol.page
    await p.goto('/orgs/globex/devices')
    await p.getByRole('button', { name: 'Create install command' }).click()
    const install = (await p.getByTestId('install-command').textContent())!
    assert.match(install, new RegExp(`^palisade agent enroll --server \\S+ --token \\S+ --fingerprint ${fingerprint}$`))
    const stateDir = join(dir, 'agent')
    deviceId = JSON.parse(await ok(['--json', ...install.split(' ').slice(1), '--state-dir', stateDir])).deviceId
    agent = new Proc(['agent', 'run', '--state-dir', stateDir], {}, 'agent')
    await p.getByRole('row', { name: new RegExp(deviceId) }).getByText('online', { exact: true }).waitFor({ timeout: 30_000 })
    carol.assertClean()
  })

  it('signs in, and goes devices → a device → commands → a draft it signs, with the keyboard alone; every control is reachable', async () => {
    const p = carol.page
    const kb = p.keyboard
    await p.getByRole('button', { name: 'Sign out' }).click()
    await p.getByRole('heading', { name: 'Sign in' }).waitFor()
    // the username field has the focus on arrival
    await kb.type('carol')
    await tabTo(p, p.getByLabel('Password'))
    await kb.type(PASSWORD)
    await kb.press('Enter')
    await p.getByRole('heading', { name: 'Devices' }).waitFor()

    await assertAllReachable(p)
    await p.getByRole('link', { name: 'Skip to content' }).focus()
    await tabTo(p, p.getByRole('link', { name: 'Devices', exact: true }))
    await tabTo(p, p.getByRole('table').getByRole('link').first())
    await kb.press('Enter')
    await p.getByText('Reported by the device').waitFor()
    await p.getByText('The directory has nobody to assign yet').waitFor()
    await p.getByText('No command has targeted this device yet.').waitFor()
    await assertAllReachable(p)

    await p.getByRole('link', { name: 'Skip to content' }).focus()
    await tabTo(p, p.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Commands' }))
    await kb.press('Enter')
    await p.getByText('No commands yet.').waitFor()
    await assertAllReachable(p)
    await p.getByRole('link', { name: 'Skip to content' }).focus()
    await tabTo(p, p.getByRole('link', { name: 'New command' }).first())
    await kb.press('Enter')
    const script = p.getByLabel('Script')
    await script.waitFor()
    await assertAllReachable(p)

    await p.getByRole('link', { name: 'Skip to content' }).focus()
    await tabTo(p, script)
    await kb.type('echo typed-with-the-keyboard')
    // targets: the arrow keys move from "Every device" to "Chosen devices", Space picks the device
    await tabTo(p, p.getByLabel('Every device of the org'))
    await kb.press('ArrowRight')
    assert.ok(await p.getByLabel('Chosen devices').isChecked())
    await tabTo(p, p.getByRole('checkbox').first())
    await kb.press('Space')
    assert.ok(await p.getByRole('checkbox').first().isChecked())
    await tabTo(p, p.getByRole('button', { name: 'Save draft and review' }))
    await carol.screenshot('command-draft-keyboard')
    await kb.press('Enter')
    await p.getByRole('heading', { name: 'What you sign' }).waitFor()
    await p.getByTestId('payload').getByText(deviceId).first().waitFor()
    await assertAllReachable(p)
    // the only admin of root v1 signs with the key made at setup: 1 of 1, and it runs on the agent
    await tabTo(p, p.getByRole('button', { name: 'Approve and sign as carol' }))
    await kb.press('Enter')
    await p.getByText('1 of 1 devices answered').waitFor({ timeout: 30_000 })
    await p.getByRole('cell').getByText('completed', { exact: true }).waitFor()
    carol.assertClean()
  })
})
