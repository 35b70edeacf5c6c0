import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { collectPackages } from './packages.js'

const hasDpkg = existsSync('/usr/bin/dpkg-query')

describe('collectPackages', () => {
  it('lists installed dpkg packages, bash among them', { skip: !hasDpkg }, async () => {
    const notes: string[] = []
    const inv = await collectPackages({ notes })
    assert.equal(inv.manager, 'dpkg')
    assert.deepEqual(notes, [])
    const bash = inv.packages?.find((p) => p.name === 'bash')
    assert.ok(bash, 'bash is installed')
    assert.match(bash.version, /^\d/)
    assert.ok(bash.arch.length > 0)
    const names = inv.packages!.map((p) => p.name)
    assert.deepEqual(names, [...names].sort())
  })

  it('gives up with a note when the manager exceeds its output cap', { skip: !hasDpkg }, async () => {
    const notes: string[] = []
    const inv = await collectPackages({ notes, maxOutputBytes: 100 })
    assert.equal(inv.packages, null)
    assert.equal(notes.length, 1)
    assert.match(notes[0]!, /^packages: dpkg /)
  })
})
