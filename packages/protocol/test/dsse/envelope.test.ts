// The DSSE JSON envelope: golden format, strict parsing, bounds, and fuzz.
import '../../dist/node.js'
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { DSSE_LIMITS, formatEnvelope, parseEnvelope, type Envelope } from '../../dist/dsse/index.js'
import { fromUtf8, toBase64, utf8 } from '../../dist/bytes.js'
import { isProtocolError, ProtocolError, type ProtocolErrorCode } from '../../dist/errors.js'
import { vectorJson } from '../vectors.js'

const V = vectorJson<{ spec_vector: { envelope: Record<string, unknown> } }>('dsse.json')
const SPEC_TEXT = JSON.stringify(V.spec_vector.envelope)
const code = (c: ProtocolErrorCode) => (e: unknown) => isProtocolError(e, c)

function envelopeJson(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { payload: 'aGk=', payloadType: 'text/plain', signatures: [{ keyid: 'k', sig: 'AAAA' }], ...overrides }
}
const text = (o: unknown) => JSON.stringify(o)

describe('formatEnvelope', () => {
  it('writes the canonical JSON envelope (golden)', () => {
    const env: Envelope = {
      payloadType: 'http://example.com/HelloWorld',
      payload: utf8('hello world'),
      signatures: [{ keyid: '66301bbf', sig: Uint8Array.from([0, 1, 2, 254, 255]) }, { keyid: '', sig: Uint8Array.from([9]) }],
    }
    assert.equal(
      formatEnvelope(env),
      '{"payload":"aGVsbG8gd29ybGQ=","payloadType":"http://example.com/HelloWorld","signatures":[{"keyid":"66301bbf","sig":"AAEC/v8="},{"keyid":"","sig":"CQ=="}]}',
    )
  })

  it('round-trips the DSSE spec envelope to its canonical form, and that form is a fixed point', () => {
    const env = parseEnvelope(SPEC_TEXT)
    const out = formatEnvelope(env)
    assert.equal(
      out,
      '{"payload":"aGVsbG8gd29ybGQ=","payloadType":"http://example.com/HelloWorld","signatures":[{"keyid":"66301bbf","sig":"A3JqsQGtVsJ2O2xqrI5IcnXip5GToJ3F+FnZ+O88SjtR6rDAajabZKciJTfUiHqJPcIAriEGAHTVeCUjW2JIZA=="}]}',
    )
    assert.equal(formatEnvelope(parseEnvelope(out)), out)
    assert.equal(formatEnvelope(parseEnvelope(utf8(out))), out)
  })

  it('is stable for random envelopes: format(parse(format(e))) === format(e)', () => {
    const sigArb = fc.record({ keyid: fc.string({ unit: 'grapheme', maxLength: 20 }), sig: fc.uint8Array({ minLength: 1, maxLength: 80 }) })
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.uint8Array({ maxLength: 200 }), fc.array(sigArb, { maxLength: 5 }), (payloadType, payload, signatures) => {
        const out = formatEnvelope({ payloadType, payload, signatures })
        const back = parseEnvelope(out)
        assert.equal(back.payloadType, payloadType)
        assert.deepEqual(back.payload, payload)
        assert.deepEqual(back.signatures.map((s) => ({ keyid: s.keyid, sig: s.sig })), signatures.map((s) => ({ keyid: s.keyid, sig: s.sig })))
        assert.equal(formatEnvelope(back), out)
      }),
      { numRuns: 500 },
    )
  })

  it('refuses what parseEnvelope would refuse', () => {
    const ok: Envelope = { payloadType: 't', payload: new Uint8Array(), signatures: [] }
    assert.throws(() => formatEnvelope({ ...ok, payloadType: 'x'.repeat(257) }), code('PROTO_TOO_LARGE'))
    assert.throws(() => formatEnvelope({ ...ok, payloadType: '\udc00' }), code('PROTO_MALFORMED'))
    assert.throws(() => formatEnvelope({ ...ok, payload: new Uint8Array(DSSE_LIMITS.maxPayloadBytes + 1) }), code('PROTO_TOO_LARGE'))
    assert.throws(() => formatEnvelope({ ...ok, signatures: [{ keyid: 'k', sig: new Uint8Array() }] }), code('PROTO_MALFORMED'))
    assert.throws(() => formatEnvelope({ ...ok, signatures: [{ keyid: 'k'.repeat(257), sig: new Uint8Array(1) }] }), code('PROTO_TOO_LARGE'))
    const many = Array.from({ length: 33 }, () => ({ keyid: '', sig: new Uint8Array(1) }))
    assert.throws(() => formatEnvelope({ ...ok, signatures: many }), code('PROTO_TOO_LARGE'))
  })

  it('fits the largest envelope the bounds allow, with worst-case escaping, within maxEnvelopeBytes', () => {
    const worstKeyid = '\u0001'.repeat(DSSE_LIMITS.maxKeyidLength) // each written as \u0001: 6 bytes
    const env: Envelope = {
      payloadType: '\u0001'.repeat(DSSE_LIMITS.maxPayloadTypeLength),
      payload: new Uint8Array(DSSE_LIMITS.maxPayloadBytes),
      signatures: Array.from({ length: DSSE_LIMITS.maxSignatures }, () => ({ keyid: worstKeyid, sig: new Uint8Array(DSSE_LIMITS.maxSignatureBytes) })),
    }
    const out = formatEnvelope(env)
    assert.ok(utf8(out).length <= DSSE_LIMITS.maxEnvelopeBytes, `${utf8(out).length} bytes`)
    const back = parseEnvelope(out)
    assert.equal(back.signatures.length, DSSE_LIMITS.maxSignatures)
    assert.equal(back.payload.length, DSSE_LIMITS.maxPayloadBytes)
  })
})

describe('parseEnvelope accepts', () => {
  it('the DSSE spec envelope from text, bytes and a parsed object, with identical results', () => {
    const a = parseEnvelope(SPEC_TEXT)
    const b = parseEnvelope(utf8(SPEC_TEXT))
    const c = parseEnvelope(JSON.parse(SPEC_TEXT))
    assert.equal(a.payloadType, 'http://example.com/HelloWorld')
    assert.equal(fromUtf8(a.payload), 'hello world')
    assert.equal(a.signatures.length, 1)
    assert.equal(a.signatures[0]!.keyid, '66301bbf')
    assert.equal(a.signatures[0]!.sig.length, 64)
    assert.deepEqual(b, a)
    assert.deepEqual(c, a)
  })

  it('omitted empty fields (envelope.md: "Empty fields may be omitted") as empty values', () => {
    const env = parseEnvelope('{"signatures":[{"sig":"AAAA"}]}')
    assert.equal(env.payloadType, '')
    assert.equal(env.payload.length, 0)
    assert.equal(env.signatures[0]!.keyid, '')
    assert.deepEqual(parseEnvelope('{}').signatures, [])
  })

  it('returns a frozen envelope', () => {
    const env = parseEnvelope(SPEC_TEXT)
    assert.ok(Object.isFrozen(env))
    assert.ok(Object.isFrozen(env.signatures))
    assert.ok(Object.isFrozen(env.signatures[0]))
  })

  it('reads an accessor field of an object input exactly once', () => {
    let reads = 0
    const o = envelopeJson()
    Object.defineProperty(o, 'payloadType', { enumerable: true, get: () => (reads++ === 0 ? 'text/plain' : 42) })
    assert.equal(parseEnvelope(o).payloadType, 'text/plain')
    assert.equal(reads, 1)
  })
})

describe('parseEnvelope refuses', () => {
  const cases: [string, unknown, ProtocolErrorCode][] = [
    ['an unknown top-level field', text(envelopeJson({ extra: 1 })), 'PROTO_MALFORMED'],
    ['an unknown signature field', text(envelopeJson({ signatures: [{ keyid: 'k', sig: 'AAAA', extension: {} }] })), 'PROTO_MALFORMED'],
    ['a duplicate member name', '{"payload":"aGk=","payloadType":"a","payloadType":"b"}', 'PROTO_MALFORMED'],
    ['a duplicate member name spelled with an escape', '{"payload":"aGk=","payloadType":"a","\\u0070ayloadType":"b"}', 'PROTO_MALFORMED'],
    ['URL-safe base64 in the payload', text(envelopeJson({ payload: '-_-_Pj8=' })), 'PROTO_MALFORMED'],
    ['URL-safe base64 in a signature', text(envelopeJson({ signatures: [{ sig: 'P-_K' }] })), 'PROTO_MALFORMED'],
    ['unpadded base64', text(envelopeJson({ payload: 'aGk' })), 'PROTO_MALFORMED'],
    ['base64 with whitespace', text(envelopeJson({ payload: 'aG k=' })), 'PROTO_MALFORMED'],
    ['base64 with non-zero padding bits', text(envelopeJson({ payload: 'aGl=' })), 'PROTO_NOT_CANONICAL'],
    ['a signature entry without sig', text(envelopeJson({ signatures: [{ keyid: 'k' }] })), 'PROTO_MALFORMED'],
    ['an empty sig', text(envelopeJson({ signatures: [{ keyid: 'k', sig: '' }] })), 'PROTO_MALFORMED'],
    ['a null keyid', text(envelopeJson({ signatures: [{ keyid: null, sig: 'AAAA' }] })), 'PROTO_MALFORMED'],
    ['a numeric payloadType', text(envelopeJson({ payloadType: 1 })), 'PROTO_MALFORMED'],
    ['signatures that are an object', text(envelopeJson({ signatures: { 0: { sig: 'AAAA' } } })), 'PROTO_MALFORMED'],
    ['a signature that is a string', text(envelopeJson({ signatures: ['AAAA'] })), 'PROTO_MALFORMED'],
    ['a top level that is an array', '[]', 'PROTO_MALFORMED'],
    ['a top level that is null', 'null', 'PROTO_MALFORMED'],
    ['text that is not JSON', '{"payload":', 'PROTO_MALFORMED'],
    ['bytes that are not UTF-8', Uint8Array.from([0x7b, 0xff, 0x7d]), 'PROTO_MALFORMED'],
    ['a payloadType with a lone surrogate', text(envelopeJson({ payloadType: '\ud800' })), 'PROTO_MALFORMED'],
    ['a keyid with a lone surrogate', text(envelopeJson({ signatures: [{ keyid: '\udfff', sig: 'AAAA' }] })), 'PROTO_MALFORMED'],
    ['33 signatures', text(envelopeJson({ signatures: Array.from({ length: 33 }, () => ({ sig: 'AAAA' })) })), 'PROTO_TOO_LARGE'],
    ['a keyid of 257 characters', text(envelopeJson({ signatures: [{ keyid: 'k'.repeat(257), sig: 'AAAA' }] })), 'PROTO_TOO_LARGE'],
    ['a payloadType of 257 characters', text(envelopeJson({ payloadType: 't'.repeat(257) })), 'PROTO_TOO_LARGE'],
    ['a payload of 1 MiB + 1 byte', text(envelopeJson({ payload: toBase64(new Uint8Array(DSSE_LIMITS.maxPayloadBytes + 1)) })), 'PROTO_TOO_LARGE'],
    ['a signature larger than maxSignatureBytes', text(envelopeJson({ signatures: [{ sig: toBase64(new Uint8Array(DSSE_LIMITS.maxSignatureBytes + 1)) }] })), 'PROTO_TOO_LARGE'],
    ['envelope text larger than maxEnvelopeBytes', ' '.repeat(DSSE_LIMITS.maxEnvelopeBytes) + '{}', 'PROTO_TOO_LARGE'],
    ['a class instance', new (class { payload = 'aGk=' })(), 'PROTO_MALFORMED'],
    ['a Map', new Map([['payload', 'aGk=']]), 'PROTO_MALFORMED'],
    ['a number', 42, 'PROTO_MALFORMED'],
    ['undefined', undefined, 'PROTO_MALFORMED'],
    ['an object with a symbol key', { ...envelopeJson(), [Symbol('x')]: 1 }, 'PROTO_MALFORMED'],
  ]
  for (const [what, input, c] of cases) {
    it(`${what} with ${c}`, () => assert.throws(() => parseEnvelope(input), code(c)))
  }

  it('a payload exactly at 1 MiB is accepted', () => {
    const env = parseEnvelope(text(envelopeJson({ payload: toBase64(new Uint8Array(DSSE_LIMITS.maxPayloadBytes)) })))
    assert.equal(env.payload.length, DSSE_LIMITS.maxPayloadBytes)
  })

  it('an array-like signatures object with a huge length without iterating it', () => {
    const signatures = Object.assign([], { length: 1e9 })
    assert.throws(() => parseEnvelope(envelopeJson({ signatures })), code('PROTO_TOO_LARGE'))
  })
})

describe('parseEnvelope fuzz: any input gives an Envelope or a ProtocolError', () => {
  const check = (input: unknown) => {
    try {
      const env = parseEnvelope(input)
      assert.equal(typeof env.payloadType, 'string')
      assert.ok(env.payload instanceof Uint8Array)
      assert.ok(env.signatures.length <= DSSE_LIMITS.maxSignatures)
      // Whatever parses, formats, and formats to a fixed point.
      const out = formatEnvelope(env)
      assert.equal(formatEnvelope(parseEnvelope(out)), out)
    } catch (e) {
      assert.ok(e instanceof ProtocolError, `not a ProtocolError: ${String(e)}`)
    }
  }
  it('on random bytes and strings', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), check), { numRuns: 2000 })
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), check), { numRuns: 2000 })
  })
  it('on random JSON values and arbitrary JS values', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), check), { numRuns: 2000 })
    fc.assert(fc.property(fc.anything({ maxDepth: 3, withMap: true, withSet: true, withTypedArray: true, withNullPrototype: true, withDate: true }), check), { numRuns: 2000 })
  })
  it('on envelope-shaped objects with random field values', () => {
    const field = fc.oneof(fc.string({ maxLength: 12 }), fc.base64String({ maxLength: 24 }), fc.constantFrom('', '====', 'AA==', 'AAA=', 'A', null, 0, [], {}))
    const sig = fc.dictionary(fc.constantFrom('keyid', 'sig', 'other'), field, { maxKeys: 3 })
    const env = fc.dictionary(
      fc.constantFrom('payload', 'payloadType', 'signatures', 'extra'),
      fc.oneof(field, fc.array(fc.oneof(sig, field), { maxLength: 3 })),
      { maxKeys: 4 },
    )
    fc.assert(fc.property(env, (o) => { check(o); check(JSON.stringify(o)) }), { numRuns: 3000 })
  })
  it('on the spec envelope with bytes flipped, inserted or removed', () => {
    const base = [...utf8(SPEC_TEXT)]
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'insert', 'delete')), { minLength: 1, maxLength: 4 }), (edits) => {
        const bytes = base.slice()
        for (const [at, b, op] of edits) {
          const i = at % bytes.length
          if (op === 'flip') bytes[i] = b
          else if (op === 'insert') bytes.splice(i, 0, b)
          else bytes.splice(i, 1)
        }
        check(Uint8Array.from(bytes))
      }),
      { numRuns: 3000 },
    )
  })
})
