import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { normaliseKey } from './normalise-key.js'
import { checkPersonFields, emailProblem } from './person-fields.js'

const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIACcXllR4KZQuIAmDepBXjtWbDscLfTw2DLyNc1eC+JO ada@laptop'
const paths = (input: Parameters<typeof checkPersonFields>[0]) => checkPersonFields(input).errors.map((e) => e.path)

describe('checkPersonFields', () => {
  it('accepts POSIX-style usernames and refuses others, naming the field', () => {
    for (const ok of ['ada', '_svc', 'a.b-c_d9', 'x'.repeat(32)]) assert.deepEqual(paths({ username: ok }), [], ok)
    for (const bad of ['', '9lives', '-x', 'a b', 'x'.repeat(33), 'ädä', 'ada/../', 'ada\u0000']) assert.deepEqual(paths({ username: bad }), ['/body/username'], bad)
    assert.match(checkPersonFields({ username: 'Ada' }).errors[0]!.message, /lower case/)
  })

  it('accepts ordinary and internationalised emails and refuses malformed ones with a reason', () => {
    for (const ok of ['ada@example.com', 'a.b+tag@mail.example.co.uk', "o'neil@example.org", 'josé@exämple.de']) assert.equal(emailProblem(ok), undefined, ok)
    const cases: [string, RegExp][] = [
      ['ada', /exactly one "@"/],
      ['a@b@example.com', /exactly one "@"/],
      ['ada@localhost', /domain with at least one dot/],
      ['ada@-x.example.com', /domain/],
      ['@example.com', /local part/],
      [`${'a'.repeat(65)}@example.com`, /1 to 64/],
      [`a@${'b'.repeat(250)}.com`, /254/],
      ['a da@example.com', /spaces/],
      ['ada.@example.com', /invalid local part/],
      ['a..da@example.com', /invalid local part/],
      ['"ada"@example.com', /invalid local part/],
      ['ada@example.com\r\n', /spaces|control/],
      ['ada\ud800@example.com', /broken Unicode/],
    ]
    for (const [bad, why] of cases) assert.match(emailProblem(bad) ?? '', why, bad)
  })

  it('keeps names of 1..200 characters without control characters', () => {
    assert.deepEqual(paths({ name: 'Ada Lovelace' }), [])
    assert.deepEqual(paths({ name: '🙂'.repeat(200) }), [], 'counts code points, not UTF-16 units')
    for (const bad of ['', '   ', 'x'.repeat(201), 'Ada\u0007', 'Ada\u2028', 'Ada\udc00']) assert.deepEqual(paths({ name: bad }), ['/body/name'], JSON.stringify(bad))
  })

  it('dedupes SSH keys by blob and names each bad key by index', () => {
    const other = ED25519.replace('ada@laptop', 'same key, new comment')
    const r = checkPersonFields({ sshKeys: [ED25519, other] })
    assert.deepEqual(r.errors, [])
    assert.deepEqual(r.fields.sshKeys, [ED25519])
    assert.deepEqual(paths({ sshKeys: [ED25519, 'nope', 'ssh-dss AAAA'] }), ['/body/sshKeys/1', '/body/sshKeys/2'])
    assert.deepEqual(paths({ sshKeys: Array(33).fill(ED25519) }), ['/body/sshKeys'])
  })

  it('checks attribute names and values, storing them sorted with a null prototype', () => {
    const r = checkPersonFields({ attributes: { team: 'core', constructor: 'x', 'cost.center': '42' } })
    assert.deepEqual(r.errors, [])
    assert.deepEqual(Object.keys(r.fields.attributes!), ['constructor', 'cost.center', 'team'])
    assert.equal(Object.getPrototypeOf(r.fields.attributes), null)
    assert.deepEqual(paths({ attributes: { '1bad': 'x', 'a/b': 'y', ok: 'v'.repeat(1025), fine: 'z' } }), ['/body/attributes/1bad', '/body/attributes/a~1b', '/body/attributes/ok'])
    assert.deepEqual(paths({ attributes: Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v'])) }), ['/body/attributes'])
  })

  it('reports every bad field at once', () => {
    assert.deepEqual(paths({ username: 'A', email: 'x', name: '', status: 'gone' }), ['/body/username', '/body/email', '/body/name', '/body/status'])
  })

  it('stores text as NFC, and compares names ignoring case and Unicode spelling', () => {
    const r = checkPersonFields({ name: 'Ame\u0301lie' })
    assert.equal(r.fields.name, 'Amélie')
    assert.equal(normaliseKey('AME\u0301LIE@Example.COM'), normaliseKey('amélie@example.com'))
  })
})
