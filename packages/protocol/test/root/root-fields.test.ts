// The optional root fields `monitors` and `checkpointMaxAgeSeconds`: absent
// (every root signed before they existed) vs present, their bounds, and the
// canonical bytes a root is signed as.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { canonicalJsonBytes, parseRoot, parseMonitorUrl, ProtocolError, CHECKPOINT_MAX_AGE_MAX_SECONDS, CHECKPOINT_MAX_AGE_MIN_SECONDS } from '../../dist/node.js'
import { TestOrg } from '../fixtures/org.js'
import { errorCode as code } from '../fixtures/error-code.js'

const base = (): Record<string, unknown> => new TestOrg().rootObject
const parse = (over: Record<string, unknown>) => parseRoot(canonicalJsonBytes({ ...base(), ...over }))

describe('root.monitors and root.checkpointMaxAgeSeconds', () => {
  describe('when both are absent', () => {
    it('parses with monitors [] and checkpointMaxAgeSeconds null', () => {
      const r = parseRoot(canonicalJsonBytes(base()))
      assert.deepEqual(r.monitors, [])
      assert.equal(r.checkpointMaxAgeSeconds, null)
      assert.ok(Object.isFrozen(r.monitors))
    })
  })
  describe('when both are present', () => {
    it('parses them as given, and the canonical bytes round-trip', () => {
      const over = { monitors: ['https://monitor.example.com/acme', 'http://127.0.0.1:8088'], checkpointMaxAgeSeconds: 86400 }
      const bytes = canonicalJsonBytes({ ...base(), ...over })
      const r = parseRoot(bytes)
      assert.deepEqual(r.monitors, over.monitors)
      assert.equal(r.checkpointMaxAgeSeconds, 86400)
      const again = canonicalJsonBytes({ ...JSON.parse(new TextDecoder().decode(bytes)) })
      assert.deepEqual(again, bytes)
      // the fields sort into their canonical places (RFC 8785: by UTF-16 code units)
      const keys = Object.keys(JSON.parse(new TextDecoder().decode(bytes)) as object)
      assert.deepEqual(keys, [...keys].sort())
    })
    it('accepts an empty monitor list', () => {
      assert.deepEqual(parse({ monitors: [] }).monitors, [])
    })
  })
  describe('checkpointMaxAgeSeconds bounds', () => {
    it(`accepts ${CHECKPOINT_MAX_AGE_MIN_SECONDS} and ${CHECKPOINT_MAX_AGE_MAX_SECONDS}`, () => {
      assert.equal(parse({ checkpointMaxAgeSeconds: 300 }).checkpointMaxAgeSeconds, 300)
      assert.equal(parse({ checkpointMaxAgeSeconds: 2_592_000 }).checkpointMaxAgeSeconds, 2_592_000)
    })
    it('refuses 299, 2592001, a fraction, a string and null (PROTO_MALFORMED)', () => {
      for (const v of [299, 2_592_001, 3600.5, '3600', null, -1]) {
        assert.equal(code(() => parse({ checkpointMaxAgeSeconds: v })), 'PROTO_MALFORMED', String(v))
      }
    })
  })
  describe('monitors bounds', () => {
    it('accepts 8 distinct URLs and refuses 9 (PROTO_TOO_LARGE)', () => {
      const urls = Array.from({ length: 9 }, (_, i) => `https://m${i}.example.com`)
      assert.equal(parse({ monitors: urls.slice(0, 8) }).monitors.length, 8)
      assert.equal(code(() => parse({ monitors: urls })), 'PROTO_TOO_LARGE')
    })
    it('refuses a repeated URL (PROTO_MALFORMED)', () => {
      assert.equal(code(() => parse({ monitors: ['https://m.example.com', 'https://m.example.com'] })), 'PROTO_MALFORMED')
    })
    it('refuses a non-array, and a non-string item (PROTO_MALFORMED)', () => {
      assert.equal(code(() => parse({ monitors: 'https://m.example.com' })), 'PROTO_MALFORMED')
      assert.equal(code(() => parse({ monitors: [42] })), 'PROTO_MALFORMED')
    })
    it('names the bad item in the message', () => {
      assert.throws(() => parse({ monitors: ['https://ok.example.com', 'ftp://x.example.com'] }), /root\.monitors\[1\]/)
    })
  })
})

describe('parseMonitorUrl', () => {
  const good = [
    'https://monitor.example.com',
    'https://monitor.example.com:8443/palisade/acme',
    'https://203.0.113.7',
    'https://[::1]:9000',
    'http://localhost:8088',
    'http://127.0.0.1',
    'http://127.255.0.3:65535/a/b',
    'http://[::1]',
    'https://m.example.com/a%2Fb/c~d',
  ]
  const bad = [
    ['http://monitor.example.com', 'plain http to a non-loopback host'],
    ['http://128.0.0.1', 'plain http outside 127.0.0.0/8'],
    ['http://10.0.0.1', 'plain http on a private network'],
    ['https://user:pw@m.example.com', 'credentials'],
    ['https://m.example.com/#frag', 'a fragment'],
    ['https://m.example.com?x=1', 'a query'],
    ['https://m.example.com/', 'a trailing slash'],
    ['https://m.example.com//a', 'an empty segment'],
    ['HTTPS://m.example.com', 'an upper-case scheme'],
    ['https://M.example.com', 'an upper-case host'],
    ['https://m.example.com:0', 'port 0'],
    ['https://m.example.com:65536', 'a port over 65535'],
    ['https://m.example.com:080', 'a port with a leading zero'],
    ['https://256.1.1.1', 'an octet over 255'],
    ['https://', 'no host'],
    ['//m.example.com', 'no scheme'],
    ['ftp://m.example.com', 'another scheme'],
    ['https://m.example.com/a b', 'a space'],
    ['https://m.example.com/a%2f', 'lower-case percent-encoding'],
    ['https://[2001:db8::1]', 'an IPv6 literal other than [::1]'],
    ['https://-m.example.com', 'a label starting with a hyphen'],
  ] as const
  for (const u of good) it(`accepts ${u}`, () => assert.equal(parseMonitorUrl(u, 'u'), u))
  for (const [u, why] of bad) it(`refuses ${why} (PROTO_MALFORMED)`, () => assert.equal(code(() => parseMonitorUrl(u, 'u')), 'PROTO_MALFORMED'))
  it('refuses a URL over 2048 characters (PROTO_TOO_LARGE)', () => {
    assert.equal(code(() => parseMonitorUrl(`https://m.example.com/${'a'.repeat(2040)}`, 'u')), 'PROTO_TOO_LARGE')
  })
  it('never throws anything but a ProtocolError, for arbitrary strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.webUrl(), fc.constantFrom(...good).map((g) => g + '/x')), (s) => {
        try {
          assert.equal(parseMonitorUrl(s, 'u'), s)
        } catch (e) {
          assert.ok(e instanceof ProtocolError)
        }
      }),
      { numRuns: 2000 },
    )
  })
})
