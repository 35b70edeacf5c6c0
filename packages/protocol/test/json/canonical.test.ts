// canonicalJson against RFC 8785's own examples and number table and the
// reference implementation's test data (vectors/rfc8785.json), plus what it
// must refuse and a round-trip property.
import '../../dist/node.js'
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { canonicalJson, canonicalJsonBytes, CANONICAL_JSON_MAX_DEPTH } from '../../dist/json/canonical.js'
import { parseJson } from '../../dist/json/parse.js'
import { toHex, utf8 } from '../../dist/bytes.js'
import { isProtocolError } from '../../dist/errors.js'
import { vectorJson } from '../vectors.js'

interface Example { name: string; source: string; input: string; output: string; stringifyOutput?: string; outputUtf8Hex?: string }
interface Rfc8785 {
  rfc_examples: Example[]
  sorting: { input: string; expectedValueOrder: string[] }
  numbers: { ieee: string; expected: string | null; comment: string }[]
  reference_testdata: Example[]
}
const V = vectorJson<Rfc8785>('rfc8785.json')

function double(hex: string): number {
  const view = new DataView(new ArrayBuffer(8))
  view.setBigUint64(0, BigInt(`0x${hex}`))
  return view.getFloat64(0)
}

const unsupported = (e: unknown) => isProtocolError(e, 'PROTO_JSON_UNSUPPORTED')

function nested(depth: number): unknown {
  let v: unknown = 1
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { k: v }
  return v
}

describe('canonicalJson reproduces RFC 8785 examples byte-exactly', () => {
  for (const ex of V.rfc_examples) {
    it(`${ex.name} (${ex.source})`, () => {
      const value = JSON.parse(ex.input)
      if (ex.stringifyOutput !== undefined) assert.equal(JSON.stringify(value), ex.stringifyOutput, 'transcription of the §3.2.2 input')
      assert.equal(canonicalJson(value), ex.output)
      assert.deepEqual(canonicalJsonBytes(value), utf8(ex.output))
      if (ex.outputUtf8Hex !== undefined) assert.equal(toHex(canonicalJsonBytes(value)), ex.outputUtf8Hex)
    })
  }

  it('sorts the §3.2.3 sample properties by UTF-16 code units, in the expected order', () => {
    const out = canonicalJson(JSON.parse(V.sorting.input))
    // Values are plain ASCII text: read them in output order from the text
    // itself (a parsed object would list the integer-like key "1" first).
    const values = [...out.matchAll(/:"([^"\\]*)"/g)].map((m) => m[1])
    assert.deepEqual(values, V.sorting.expectedValueOrder)
  })
})

describe('canonicalJson numbers: RFC 8785 Appendix B', () => {
  it('has the 26 rows of Table 1', () => assert.equal(V.numbers.length, 26))
  for (const row of V.numbers) {
    if (row.expected === null) {
      it(`0x${row.ieee} (${row.comment}) is refused with PROTO_JSON_UNSUPPORTED`, () => {
        assert.throws(() => canonicalJson(double(row.ieee)), unsupported)
        assert.throws(() => canonicalJson([double(row.ieee)]), unsupported)
      })
    } else {
      it(`0x${row.ieee} serializes as ${row.expected}`, () => {
        assert.equal(canonicalJson(double(row.ieee)), row.expected)
        assert.equal(canonicalJson({ n: double(row.ieee) }), `{"n":${row.expected}}`)
      })
    }
  }
  it('-Infinity is refused with PROTO_JSON_UNSUPPORTED', () => {
    assert.throws(() => canonicalJson(-Infinity), unsupported)
  })
})

describe('canonicalJson reproduces the reference implementation test data', () => {
  it('has all 7 input files', () => assert.equal(V.reference_testdata.length, 7))
  for (const ex of V.reference_testdata) {
    it(`${ex.name}: output matches byte for byte (${ex.source})`, () => {
      const value = parseJson(ex.input, 1 << 20, ex.name)
      assert.equal(canonicalJson(value), ex.output)
      assert.deepEqual(canonicalJsonBytes(value), utf8(ex.output))
      // The output is itself canonical: a fixed point.
      assert.equal(canonicalJson(parseJson(ex.output, 1 << 20, ex.name)), ex.output)
    })
  }
})

describe('canonicalJson refuses what has no canonical form', () => {
  it('refuses NaN and ±Infinity anywhere in the value', () => {
    for (const v of [NaN, Infinity, -Infinity, { a: [1, NaN] }, [{ b: Infinity }]]) assert.throws(() => canonicalJson(v), unsupported)
  })
  it('refuses lone surrogates in strings and in member names', () => {
    for (const v of ['\ud800', 'a\udc00b', '\udc00\ud800', { '\udead': 1 }, [{ x: 'ok\ud83d' }]]) assert.throws(() => canonicalJson(v), unsupported)
  })
  it('accepts a surrogate pair', () => {
    assert.equal(canonicalJson('\ud83d\ude00'), '"\ud83d\ude00"')
  })
  it('refuses non-plain objects, undefined, functions, symbols and bigints', () => {
    class Point { x = 1 }
    const values: unknown[] = [new Date(0), new Map(), new Point(), new Uint8Array(2), /x/, undefined, () => 1, Symbol('s'), 1n, { a: undefined }, [undefined], { f: () => 1 }]
    for (const v of values) assert.throws(() => canonicalJson(v), unsupported, String(v))
  })
  it('accepts null-prototype objects like plain ones', () => {
    const o = Object.assign(Object.create(null) as object, { b: 2, a: 1 })
    assert.equal(canonicalJson(o), '{"a":1,"b":2}')
  })
  it(`accepts nesting to depth ${CANONICAL_JSON_MAX_DEPTH} and refuses one level more`, () => {
    assert.doesNotThrow(() => canonicalJson(nested(CANONICAL_JSON_MAX_DEPTH)))
    assert.throws(() => canonicalJson(nested(CANONICAL_JSON_MAX_DEPTH + 1)), unsupported)
  })
  it('refuses a cyclic value with PROTO_JSON_UNSUPPORTED instead of overflowing the stack', () => {
    const a: unknown[] = []
    a.push(a)
    assert.throws(() => canonicalJson(a), unsupported)
  })
  it('writes -0 as 0', () => {
    assert.equal(canonicalJson([-0, 0]), '[0,0]')
  })
})

describe('canonicalJson properties', () => {
  it('is a fixed point: canonicalJson(JSON.parse(canonicalJson(x))) === canonicalJson(x) for random JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (x) => {
        const c = canonicalJson(x)
        assert.equal(canonicalJson(JSON.parse(c)), c)
        assert.equal(canonicalJson(parseJson(c, 1 << 24, 'x')), c)
      }),
      { numRuns: 1000 },
    )
  })
  it('does not depend on member insertion order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 })), (o) => {
        const reversed = Object.fromEntries(Object.entries(o).reverse())
        assert.equal(canonicalJson(reversed), canonicalJson(o))
      }),
      { numRuns: 300 },
    )
  })
  it('agrees with JSON.stringify on well-formed strings (§3.2.2.2 is its escaping)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (s) => {
        assert.equal(canonicalJson(s), JSON.stringify(s))
      }),
      { numRuns: 500 },
    )
  })
})
