import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { canonicalJsonBytes, commandPayloadJson, fromBase64, parseCommandPayload, utf8 } from '@palisade/protocol'
import { buildCommand, newCommandId, parseServerPayload, type CommandDraft } from './command-draft.js'
import { describeCommand, describeValidity, payloadDigest } from './describe-command.js'

/** A deterministic random source: 0, 1, 2, … */
function counter(): (n: number) => Uint8Array {
  let next = 0
  return (n) => Uint8Array.from({ length: n }, () => next++ & 255)
}

const draft: CommandDraft = {
  org: 'acme',
  script: 'uptime\n',
  interpreter: 'sh',
  timeoutSeconds: 60,
  runAs: 'root',
  targets: { kind: 'devices', ids: ['dev-1', 'dev-2'] },
  notBefore: 1_700_000_000,
  validForSeconds: 3600,
}

describe('buildCommand', () => {
  it('builds canonical bytes that protocol parses back to the draft, with a fresh id and 16-byte nonce', () => {
    const { payload, bytes } = buildCommand(draft, counter())
    assert.deepEqual(parseCommandPayload(bytes), payload)
    assert.deepEqual(canonicalJsonBytes(commandPayloadJson(payload)), bytes)
    assert.match(payload.id, /^cmd-[0-9a-f]{20}$/)
    assert.equal(fromBase64(payload.nonce).length, 16)
    assert.equal(payload.notAfter, draft.notBefore + 3600)
    assert.equal(payload.type, 'palisade.command/v1')
    assert.deepEqual(payload.targets, { kind: 'devices', ids: ['dev-1', 'dev-2'] })
  })

  it('gives two identical drafts two different ids and nonces', () => {
    const random = counter()
    const a = buildCommand(draft, random).payload
    const b = buildCommand(draft, random).payload
    assert.notEqual(a.id, b.id)
    assert.notEqual(a.nonce, b.nonce)
  })

  it('refuses an empty or oversized script, a path as interpreter and a bad user', () => {
    assert.throws(() => buildCommand({ ...draft, script: ' \n' }, counter()), { code: 'CLI_ARG_INVALID', message: /empty/ })
    assert.throws(() => buildCommand({ ...draft, script: 'x'.repeat(256 * 1024 + 1) }, counter()), { code: 'CLI_ARG_INVALID', message: /larger than 256 KiB/ })
    assert.throws(() => buildCommand({ ...draft, interpreter: '/bin/sh' }, counter()), { code: 'CLI_ARG_INVALID', message: /not a path/ })
    assert.throws(() => buildCommand({ ...draft, runAs: 'Root User' }, counter()), { code: 'CLI_ARG_INVALID' })
  })

  it('turns a protocol refusal into CLI_ARG_INVALID', () => {
    assert.throws(() => buildCommand({ ...draft, org: 'Not An Org' }, counter()), { code: 'CLI_ARG_INVALID', message: /cannot be signed as drafted/ })
  })
})

describe('newCommandId', () => {
  it('is cmd- and 20 hex digits', () => {
    assert.equal(newCommandId(() => new Uint8Array(10).fill(0xab)), 'cmd-' + 'ab'.repeat(10))
  })
})

describe('parseServerPayload', () => {
  const { payload, bytes } = buildCommand(draft, counter())
  it('accepts the canonical bytes of a command of this org with this id', () => {
    assert.deepEqual(parseServerPayload(bytes, 'acme', payload.id, 'https://s'), payload)
  })
  it('refuses bytes that are not a command, not canonical, another org\'s or another id\'s (CLI_SERVER_UNTRUSTED)', () => {
    const json = commandPayloadJson(payload)
    const cases: [Uint8Array, RegExp][] = [
      [utf8('{"hello":1}'), /not a valid command/],
      [utf8(JSON.stringify(json, null, 1)), /not in canonical form/],
      [canonicalJsonBytes({ ...json, org: 'evil' }), /for org "evil", not "acme"/],
      [canonicalJsonBytes({ ...json, id: 'cmd-other' }), /carries id "cmd-other"/],
    ]
    for (const [b, re] of cases) assert.throws(() => parseServerPayload(b, 'acme', payload.id, 'https://s'), { code: 'CLI_SERVER_UNTRUSTED', message: re })
  })
})

describe('describeCommand', () => {
  const { payload, bytes } = buildCommand({ ...draft, script: 'echo one\necho two\n' }, counter())
  it('shows every field that decides what runs where, the script indented, and the payload digest', () => {
    const text = describeCommand(payload, bytes, draft.notBefore + 60)
    assert.match(text, /targets: +2 devices: dev-1, dev-2\n/)
    assert.match(text, /run as: +root\n/)
    assert.match(text, /interpreter: +sh\n/)
    assert.match(text, /timeout: +1m\n/)
    assert.match(text, /valid: +2023-11-14T22:13:20.000Z to 2023-11-14T23:13:20.000Z \(1h\): ends in 59m\n/)
    assert.match(text, new RegExp(`payload sha256: +${payloadDigest(bytes)}\n`))
    assert.match(text, /script:\n {4}echo one\n {4}echo two\n$/)
  })
  it('shows invisible and direction-changing characters as escapes, with a warning (Trojan Source)', () => {
    const sneaky = buildCommand({ ...draft, script: 'echo safe \u202e; rm -rf / #\u202c\u200b\n' }, counter())
    const text = describeCommand(sneaky.payload, sneaky.bytes, draft.notBefore)
    assert.match(text, /WARNING: the script contains invisible or direction-changing characters/)
    assert.ok(text.includes('echo safe \\u202e; rm -rf / #\\u202c\\u200b'))
    assert.ok(!/[\u202e\u202c\u200b]/.test(text))
    assert.doesNotMatch(describeCommand(payload, bytes, draft.notBefore), /WARNING/)
  })

  it('says when the window has not started or has ended', () => {
    assert.match(describeValidity(payload, draft.notBefore - 120), /starts in 2m$/)
    assert.match(describeValidity(payload, draft.notBefore + 7200), /EXPIRED$/)
  })
})
