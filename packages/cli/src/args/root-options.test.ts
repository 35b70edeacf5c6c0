import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { cosignature, toBase64 } from '@palisade/protocol'
import { testKey } from '../testing/test-org.test.helper.js'
import { parseAdminOption, parseMonitorUrlOption, parseOrgId, parseThresholdsOption, parseWitnessOption } from './root-options.js'

describe('parseAdminOption', () => {
  const k = testKey('a')
  it('reads NAME=BASE64PUB', () => {
    const a = parseAdminOption(`alice@example.com=${toBase64(k.pub)}`)
    assert.equal(a.name, 'alice@example.com')
    assert.deepEqual(a.publicKey, k.pub)
  })
  it('refuses a missing =, a bad name, bad base64 and a key of the wrong length', () => {
    for (const bad of ['alice', `al ice=${toBase64(k.pub)}`, 'alice=not base64', `alice=${toBase64(k.pub.subarray(0, 31))}`, `=${toBase64(k.pub)}`]) {
      assert.throws(() => parseAdminOption(bad), { code: 'CLI_ARG_INVALID' }, bad)
    }
  })
})

describe('parseThresholdsOption', () => {
  it('reads all four kinds, or one number for all', () => {
    assert.deepEqual(parseThresholdsOption('command=2,policy=2,root=3,device=1'), { command: 2, policy: 2, root: 3, device: 1 })
    assert.deepEqual(parseThresholdsOption('2'), { command: 2, policy: 2, root: 2, device: 2 })
  })
  it('refuses missing, repeated, unknown and zero thresholds', () => {
    assert.throws(() => parseThresholdsOption('command=2'), { code: 'CLI_ARG_INVALID', message: /missing policy, root, device/ })
    assert.throws(() => parseThresholdsOption('command=2,command=2,policy=1,root=1,device=1'), { message: /command is given twice/ })
    assert.throws(() => parseThresholdsOption('cmd=2,policy=1,root=1,device=1'), { message: /unknown kind "cmd"/ })
    assert.throws(() => parseThresholdsOption('0'), { code: 'CLI_ARG_INVALID' })
    assert.throws(() => parseThresholdsOption('command=0,policy=1,root=1,device=1'), { code: 'CLI_ARG_INVALID' })
  })
})

describe('parseWitnessOption', () => {
  const w = testKey('w')
  const vkey = cosignature.formatWitnessVerifierKey('w1@example.org', w.pub)
  it('splits VKEY@URL at the first @ after the key (names may hold @)', () => {
    assert.deepEqual(parseWitnessOption(`${vkey}@https://w1.example.org/`), { key: vkey, url: 'https://w1.example.org' })
  })
  it('refuses a missing URL, a bad URL and a key that is not cosignature/v1', async () => {
    const { note } = await import('@palisade/protocol')
    assert.throws(() => parseWitnessOption(vkey), { code: 'CLI_ARG_INVALID', message: /expected VKEY@URL/ })
    assert.throws(() => parseWitnessOption(`${vkey}@ftp://x`), { code: 'CLI_ARG_INVALID' })
    assert.throws(() => parseWitnessOption(`${note.formatVerifierKey('w1', w.pub)}@https://x`), { code: 'CLI_ARG_INVALID', message: /not a cosignature\/v1/ })
  })
})

describe('parseOrgId', () => {
  it('accepts protocol org ids only', () => {
    assert.equal(parseOrgId('acme-1'), 'acme-1')
    for (const bad of ['Acme', '-acme', 'a_b', '', 'a'.repeat(64)]) assert.throws(() => parseOrgId(bad), { code: 'CLI_ARG_INVALID' }, bad)
  })
})

describe('parseMonitorUrlOption', () => {
  it('accepts an https URL and a loopback http URL', () => {
    assert.equal(parseMonitorUrlOption('https://monitor.example.com/acme'), 'https://monitor.example.com/acme')
    assert.equal(parseMonitorUrlOption('http://127.0.0.1:8088'), 'http://127.0.0.1:8088')
  })
  it('refuses plain http elsewhere, a trailing slash, credentials and a query (CLI_ARG_INVALID)', () => {
    for (const bad of ['http://monitor.example.com', 'https://m.example.com/', 'https://u:p@m.example.com', 'https://m.example.com?x=1', 'monitor']) {
      assert.throws(() => parseMonitorUrlOption(bad), { code: 'CLI_ARG_INVALID' }, bad)
    }
  })
})
