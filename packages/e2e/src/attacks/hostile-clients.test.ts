/**
 * Hostile devices and clients against the honest server (issue #4; A3, A4,
 * A5 of DESIGN.md): enrollment abuse, device impersonation, slow drip. One
 * real server process (SQLite) and one real witness process serve every
 * scenario; devices are enrolled by the real `palisade agent enroll`, and
 * the test plays them with their own keys (device-client.ts). Each
 * scenario asserts the documented answer, that nothing changed that should
 * not have, and, where the server must, that it raised an alert naming the
 * device.
 *
 * PALISADE_CLIENT_ATTACK_RESULTS=<file> writes the rows as JSON for
 * scripts/security-matrix.mjs (docs/SECURITY.md).
 */
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runClientScenario, type ClientRow, type ClientScenario, type Fleet } from './client-scenario.js'
import { DeviceClient } from './device-client.js'
import { enrollmentScenarios } from './enrollment.attacks.js'
import { impersonationScenarios } from './impersonation.attacks.js'
import { LiveServer } from './live-server.js'
import { until } from '../proc.js'
import { Results } from './results.js'
import { slowDripScenarios } from './slow-drip.attacks.js'

/** Order: the control that answers A's delivery comes after every scenario that needs it unanswered. */
export const CLIENT_SUITE: readonly ClientScenario[] = [...enrollmentScenarios, ...slowDripScenarios, ...impersonationScenarios]

describe('hostile devices and clients against a real server process', { timeout: 120_000 }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'palisade-hostile-'))
  const results = new Results<ClientRow>(process.env['PALISADE_CLIENT_ATTACK_RESULTS'], 'hostile-clients')
  const s = new LiveServer(tmp)
  let fleet: Fleet

  before(async () => {
    await s.start()
    // One use is left over, so replaying A's enrollment meets the key check, not a spent token (enroll-retry-after-connect).
    const token = await s.token(3)
    const a = await s.enroll('device-a', token)
    const b = await s.enroll('device-b', token)
    const aConn = await DeviceClient.online(s.url, a)
    const command = 'cmd-for-a'
    await s.command(command, [a.id])
    const d = await aConn.next('delivery', 20_000)
    assert.equal(d['commandId'], command, 'the command was delivered to A')
    // the server marks it sent in a group commit after the frame went out
    await until(async () => s.delivery(command, a.id) === 'sent', 10_000, "A's delivery to be marked sent")
    // B is offline: its command waits as pending and goes out whenever B connects.
    const commandB = 'cmd-for-b'
    await s.command(commandB, [b.id])
    fleet = { s, a, b, token, aConn, command, commandB }
  })

  after(async () => {
    fleet?.aConn.close()
    await s.stop()
    rmSync(tmp, { recursive: true, force: true })
  })

  for (const c of CLIENT_SUITE) {
    it(`[${c.guarantee}] ${c.title}`, async () => {
      let row: ClientRow
      try {
        row = await runClientScenario(fleet, c)
      } catch (e) {
        results.add({ slug: c.slug, title: c.title, guarantee: c.guarantee, role: c.role ?? 'attack', expected: c.expect, observed: `error: ${(e as Error).message.slice(0, 200)}`, sideEffects: [], alerted: null, pass: false, ms: 0 })
        throw new Error(`${(e as Error).message}\n--- server output (tail) ---\n${s.output}`)
      }
      results.add(row)
      assert.ok(
        row.pass,
        `${c.slug}: expected ${row.expected}, observed ${row.observed}; side effects: ${row.sideEffects.join('; ') || 'none'}; alert ${row.alerted === null ? 'not required' : row.alerted ? 'raised' : 'MISSING'}`,
      )
    })
  }

  it('afterwards: the server still serves (A online, API answering), and every device row is one of the three enrolled', async () => {
    const devices = (await s.expect(200, 'GET', '/v1/orgs/acme/devices'))['devices'] as { id: string; online: boolean }[]
    assert.equal(devices.length, 3, `devices: ${devices.map((d) => d.id).join(', ')}`)
    assert.ok(devices.find((d) => d.id === fleet.a.id)?.online, 'device A is online')
    results.finish(null)
  })
})
