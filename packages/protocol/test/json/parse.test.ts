// parseJson: bounded, strict, duplicate-free parsing of attacker-controlled
// JSON, which answers with a value or a ProtocolError and nothing else.
import '../../dist/node.js'
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { parseJson } from '../../dist/json/parse.js'
import { CANONICAL_JSON_MAX_DEPTH } from '../../dist/json/canonical.js'
import { utf8 } from '../../dist/bytes.js'
import { isProtocolError, ProtocolError, PROTOCOL_ERROR_CODES } from '../../dist/errors.js'

const MAX = 1 << 16
const malformed = (e: unknown) => isProtocolError(e, 'PROTO_MALFORMED')
const tooLarge = (e: unknown) => isProtocolError(e, 'PROTO_TOO_LARGE')

describe('parseJson refuses duplicate member names', () => {
  const duplicates = [
    '{"a":1,"a":2}',
    '{"a":1,"\\u0061":2}',
    '{"\\u0061":1,"a":2}',
    '{"a":1,"\\u0041":2,"\\u0061":3}',
    '{"\\n":1,"\\u000a":2}',
    '{"\\/":1,"/":2}',
    '{"\\"":1,"\\u0022":2}',
    '{"\\\\":1,"\\u005c":2}',
    '{"\\ud83d\\ude00":1,"\ud83d\ude00":2}',
    '{"é":1,"\\u00e9":2}',
    '{"__proto__":1,"__proto__":2}',
    '{"x":{"a":1,"b":{},"a":2}}',
    '[1,{"k":[{"a":1},{"a":2}],"k":0}]',
    '{ "a" : 1 ,\n\t"a" : 2 }',
    '{"a":{},"a":{}}',
  ]
  const shown = (t: string) => t.replace(/\n/g, '\\n').replace(/\t/g, '\\t')
  for (const text of duplicates) {
    it(`${shown(text)} is PROTO_MALFORMED, as a string and as bytes`, () => {
      assert.throws(() => parseJson(text, MAX, 'doc'), malformed)
      assert.throws(() => parseJson(utf8(text), MAX, 'doc'), malformed)
    })
  }

  const distinct = [
    '{"a":1,"A":2}',
    '{"a":{"a":{"a":1}}}',
    '[{"a":1},{"a":2}]',
    '{"a":"a","b":"a"}',
    '{"a\\"":1,"a":2}',
    '{"a\\\\":1,"a":2}',
    '{"é":1,"e\\u0301":2}',
    '{"":1,"\\u0000":2}',
    '{"{\\"a\\":1,\\"a\\":2}":0}',
    '{"a":[",\\"a\\":"],"b":1}',
  ]
  for (const text of distinct) {
    it(`${shown(text)} has no duplicate and parses`, () => {
      assert.deepEqual(parseJson(text, MAX, 'doc'), JSON.parse(text))
    })
  }
})

/**
 * An independent duplicate-name check for valid JSON: a recursive-descent
 * walk (the scanner under test is a flat state machine).
 */
function referenceHasDuplicate(text: string): boolean {
  let i = 0
  const skipWs = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++
  }
  const str = (): string => {
    const start = i++
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1
    i++
    return JSON.parse(text.slice(start, i)) as string
  }
  const value = (): boolean => {
    skipWs()
    const c = text[i]
    let dup = false
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']'
      const seen = new Set<string>()
      i++
      skipWs()
      if (text[i] === close) {
        i++
        return false
      }
      for (;;) {
        skipWs()
        if (c === '{') {
          const k = str()
          if (seen.has(k)) dup = true
          seen.add(k)
          skipWs()
          i++ // ':'
        }
        if (value()) dup = true
        skipWs()
        if (text[i++] === ',') continue
        return dup
      }
    }
    if (c === '"') str()
    else while (i < text.length && !',]} \t\n\r'.includes(text[i]!)) i++
    return false
  }
  return value()
}

// JSON texts built to stress the scanner: keys that collide only after
// unescaping, and strings full of the characters it looks for.
const keyArb = fc.constantFrom('a', 'b', '\\u0061', '\\u0062', '\\"', '\\u0022', '\\\\', '\\u005c', '', '\\n', '\\u000a', '{', '[', ',', ':', '}', ']', '\\/', '/')
const wsArb = fc.constantFrom('', ' ', '\n', '\t ', '\r\n')
const leafArb = fc.constantFrom('1', '-0.5e3', 'true', 'false', 'null', '"a"', '"\\u0061"', '"\\""', '"{"', '"[,"', '"\\\\"', '"}]"', '":"')
const textArb = fc.letrec<{ value: string; object: string; array: string }>((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leafArb, tie('object'), tie('array')),
  object: fc
    .array(fc.tuple(keyArb, wsArb, tie('value')), { maxLength: 5 })
    .map((members) => '{' + members.map(([k, w, v]) => `${w}"${k}"${w}:${w}${v}${w}`).join(',') + '}'),
  array: fc.array(fc.tuple(tie('value'), wsArb), { maxLength: 4 }).map((items) => '[' + items.map(([v, w]) => w + v + w).join(',') + ']'),
})).value

describe('parseJson duplicate scanner agrees with a reference parser', () => {
  it('on random JSON texts with colliding escaped keys', () => {
    fc.assert(
      fc.property(textArb, (text) => {
        const expected = referenceHasDuplicate(text)
        let got: boolean
        try {
          parseJson(text, 1 << 20, 'doc')
          got = false
        } catch (e) {
          // Only a duplicate or the (unrelated) depth cap may refuse valid JSON here.
          if (isProtocolError(e, 'PROTO_TOO_LARGE')) return
          assert.ok(malformed(e), String(e))
          got = true
        }
        assert.equal(got, expected, text)
      }),
      { numRuns: 20000 },
    )
  })
})

describe('parseJson bounds', () => {
  it('refuses input longer than maxBytes with PROTO_TOO_LARGE (string and bytes)', () => {
    const text = JSON.stringify('x'.repeat(100))
    assert.equal(parseJson(text, text.length, 'doc'), 'x'.repeat(100))
    assert.throws(() => parseJson(text, text.length - 1, 'doc'), tooLarge)
    assert.throws(() => parseJson(utf8(text), text.length - 1, 'doc'), tooLarge)
  })
  it('measures a string in UTF-8 bytes, not UTF-16 units', () => {
    const text = JSON.stringify('€'.repeat(100)) // 102 UTF-16 units, 302 UTF-8 bytes
    assert.equal(utf8(text).length, 302)
    assert.equal(parseJson(text, 302, 'doc'), '€'.repeat(100))
    assert.throws(() => parseJson(text, 301, 'doc'), tooLarge)
    assert.throws(() => parseJson(text, 102, 'doc'), tooLarge)
    const astral = JSON.stringify('😀'.repeat(10)) // 22 units, 42 bytes
    assert.equal(parseJson(astral, 42, 'doc'), '😀'.repeat(10))
    assert.throws(() => parseJson(astral, 41, 'doc'), tooLarge)
  })
  it(`refuses nesting deeper than ${CANONICAL_JSON_MAX_DEPTH} with PROTO_TOO_LARGE`, () => {
    const ok = '['.repeat(CANONICAL_JSON_MAX_DEPTH) + '1' + ']'.repeat(CANONICAL_JSON_MAX_DEPTH)
    const deep = '['.repeat(CANONICAL_JSON_MAX_DEPTH + 1) + '1' + ']'.repeat(CANONICAL_JSON_MAX_DEPTH + 1)
    assert.doesNotThrow(() => parseJson(ok, MAX, 'doc'))
    assert.throws(() => parseJson(deep, MAX, 'doc'), tooLarge)
  })
  it('refuses 100,000 levels of nesting without overflowing the stack', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000)
    assert.throws(() => parseJson(deep, 1 << 20, 'doc'), (e) => e instanceof ProtocolError)
  })
  it('reports a duplicate name before the nesting, however deep the duplicate is', () => {
    const n = 10_000
    const nested = (inner: string) => '{"a":'.repeat(n) + inner + '}'.repeat(n)
    assert.throws(() => parseJson(nested('{"b":1,"\\u0062":2}'), 1 << 20, 'doc'), malformed)
    assert.throws(() => parseJson(nested('{"b":1,"c":2}'), 1 << 20, 'doc'), tooLarge)
    assert.throws(() => parseJson(`[${nested('1')},{"x":{"y":1},"x":2}]`, 1 << 20, 'doc'), malformed)
  })
})

describe('parseJson encoding and syntax', () => {
  it('refuses invalid UTF-8 with PROTO_MALFORMED', () => {
    const bad = [
      [0x22, 0xff, 0x22], // 0xff never appears in UTF-8
      [0x22, 0xc3, 0x22], // truncated 2-byte sequence
      [0x22, 0xc0, 0xaf, 0x22], // overlong '/'
      [0x22, 0xed, 0xa0, 0x80, 0x22], // encoded surrogate U+D800 (CESU-8)
      [0x22, 0xf4, 0x90, 0x80, 0x80, 0x22], // above U+10FFFF
    ]
    for (const b of bad) assert.throws(() => parseJson(Uint8Array.from(b), MAX, 'doc'), malformed, JSON.stringify(b))
  })
  it('refuses a UTF-8 byte order mark instead of skipping it', () => {
    assert.throws(() => parseJson(Uint8Array.from([0xef, 0xbb, 0xbf, 0x31]), MAX, 'doc'), malformed)
  })
  it('refuses non-JSON with PROTO_MALFORMED and keeps the SyntaxError as cause', () => {
    for (const t of ['', '{', '{"a":1,}', "{'a':1}", 'NaN', '[1,]', '01', '{"a" 1}', 'undefined', '"\\x41"', '1 2']) {
      assert.throws(
        () => parseJson(t, MAX, 'doc'),
        (e) => malformed(e) && (e as ProtocolError).cause instanceof SyntaxError,
        JSON.stringify(t),
      )
    }
  })
  it('returns every JSON type', () => {
    assert.deepEqual(parseJson('{"a":[1,"s",true,false,null,{}]}', MAX, 'doc'), { a: [1, 's', true, false, null, {}] })
  })
})

describe('parseJson fuzz: random and mutated bytes give a value or a ProtocolError, nothing else', () => {
  const check = (input: string | Uint8Array) => {
    try {
      parseJson(input, 4096, 'fuzz')
    } catch (e) {
      assert.ok(e instanceof ProtocolError, `not a ProtocolError: ${String(e)}`)
      assert.ok(e.code in PROTOCOL_ERROR_CODES)
      assert.ok(['PROTO_MALFORMED', 'PROTO_TOO_LARGE'].includes(e.code), e.code)
    }
  }
  it('on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), check), { numRuns: 3000 })
  })
  it('on random strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), check), { numRuns: 3000 })
  })
  it('on valid JSON with bytes flipped, inserted or removed', () => {
    fc.assert(
      fc.property(textArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'insert', 'delete')), { minLength: 1, maxLength: 4 }), (text, edits) => {
        const bytes = [...utf8(text)]
        for (const [at, b, op] of edits) {
          const i = bytes.length === 0 ? 0 : at % bytes.length
          if (op === 'flip' && bytes.length > 0) bytes[i] = b
          else if (op === 'insert') bytes.splice(i, 0, b)
          else bytes.splice(i, 1)
        }
        check(Uint8Array.from(bytes))
      }),
      { numRuns: 3000 },
    )
  })
})
