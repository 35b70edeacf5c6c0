import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { collectOsRelease, parseOsRelease } from './os-release.js'

describe('parseOsRelease', () => {
  it('unquotes and unescapes values the way os-release(5) allows', () => {
    const f = parseOsRelease(
      [
        '# comment',
        'NAME="Debian GNU/Linux"',
        "ID_LIKE='rhel fedora'",
        'VERSION_ID=12',
        'QUOTED="say \\"hi\\" for \\$5 \\\\ \\`x\\`"',
        'not a line',
        '  ID=debian  ',
        '',
      ].join('\n'),
    )
    assert.deepEqual({ ...f }, {
      NAME: 'Debian GNU/Linux',
      ID_LIKE: 'rhel fedora',
      VERSION_ID: '12',
      QUOTED: 'say "hi" for $5 \\ `x`',
      ID: 'debian',
    })
  })

  it('keeps a field named __proto__ as data', () => {
    const f = parseOsRelease('__proto__=x\n')
    assert.equal(f['__proto__'], 'x')
    assert.equal(Object.getPrototypeOf(f), null)
  })
})

describe('collectOsRelease', () => {
  it('falls back to the second path and maps the well-known fields', async () => {
    const notes: string[] = []
    const os = await collectOsRelease({ notes, paths: ['/nonexistent/os-release', '/etc/os-release'] })
    if (!existsSync('/etc/os-release')) return
    assert.ok(os?.id)
    assert.ok(Array.isArray(os.idLike))
    assert.equal(os.fields['ID'], os.id)
    assert.deepEqual(notes, [])
  })

  it('returns null and a note when no file exists', async () => {
    const notes: string[] = []
    assert.equal(await collectOsRelease({ notes, paths: ['/nonexistent/a', '/nonexistent/b'] }), null)
    assert.deepEqual(notes, ['os-release: /nonexistent/a ENOENT; /nonexistent/b ENOENT'])
  })
})
