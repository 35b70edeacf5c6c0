import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Spool } from './spool.js'

let root: string
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'palisade-spool-'))
})
after(async () => rm(root, { recursive: true, force: true }))

async function fresh(name: string): Promise<string> {
  const dir = join(root, name)
  await (await import('node:fs/promises')).mkdir(dir)
  return dir
}

describe('Spool', () => {
  it('keeps reports in order across a reopen and reads them back', async () => {
    const dir = await fresh('order')
    const s = await Spool.open(dir)
    await s.add('result', 'cmd-a', '{"a":1}')
    await s.add('rejection', null, '{"b":2}')
    await s.add('rejection', 'cmd-c', '{"c":3}')
    const again = await Spool.open(dir)
    assert.deepEqual(again.entries().map((e) => [e.kind, e.commandId]), [['result', 'cmd-a'], ['rejection', null], ['rejection', 'cmd-c']])
    assert.equal(await again.read(again.entries()[1]!), '{"b":2}')
    const next = await again.add('result', 'cmd-d', '{}')
    assert.equal(next!.seq, 4)
  })

  it('settles an ack with the oldest entry for the command, preferring one sent on this connection', async () => {
    const s = await Spool.open(await fresh('ack'))
    const r = await s.add('result', 'cmd-x', '{}')
    const j = await s.add('rejection', 'cmd-x', '{}')
    assert.equal(s.findForAck('cmd-x'), r)
    assert.equal(s.findForAck('cmd-x', (e) => e === j), j)
    assert.equal(s.findForAck('cmd-y'), undefined)
    await s.remove(r!)
    assert.equal(s.has('result', 'cmd-x'), false)
    assert.equal(s.has('rejection', 'cmd-x'), true)
  })

  it('when full, refuses rejections but still keeps results', async () => {
    const s = await Spool.open(await fresh('full'), 2)
    await s.add('rejection', 'cmd-1', '{}')
    await s.add('rejection', 'cmd-2', '{}')
    assert.equal(await s.add('rejection', 'cmd-3', '{}'), null)
    assert.notEqual(await s.add('result', 'cmd-4', '{}'), null)
    assert.equal(s.size, 3)
  })

  it('removes stray temp files, keeps a corrupt report as evidence and drops it from the index', async () => {
    const dir = await fresh('corrupt')
    await writeFile(join(dir, '.000000000001.result.cmd-1.json.abc.tmp'), 'half')
    await writeFile(join(dir, '000000000002.result.cmd-2.json'), '{"kind":"result"')
    await writeFile(join(dir, 'README'), 'not ours')
    const s = await Spool.open(dir)
    assert.equal(s.size, 1)
    assert.equal(await s.read(s.entries()[0]!), null)
    assert.equal(s.size, 0)
    assert.deepEqual((await readdir(dir)).sort(), ['000000000002.result.cmd-2.json.corrupt', 'README'])
  })
})
