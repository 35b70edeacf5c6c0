import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { readJsonFile, writeFileAtomic } from './atomic-file.js'
import { AgentError } from '../errors.js'

let dir: string
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'palisade-atomic-'))
})
after(async () => {
  await rm(dir, { recursive: true, force: true })
})

const asIs = (v: unknown): unknown => v

describe('writeFileAtomic', () => {
  it('creates the file with mode 0600 and leaves no temp file', async () => {
    const p = join(dir, 'a.json')
    await writeFileAtomic(p, '{"a":1}')
    assert.equal(await readFile(p, 'utf8'), '{"a":1}')
    assert.equal((await stat(p)).mode & 0o777, 0o600)
    assert.deepEqual(await readdir(dir), ['a.json'])
  })

  it('replaces an existing file, including its looser mode', async () => {
    const p = join(dir, 'b.json')
    await writeFile(p, 'old', { mode: 0o644 })
    await writeFileAtomic(p, new Uint8Array([110, 101, 119]))
    assert.equal(await readFile(p, 'utf8'), 'new')
    assert.equal((await stat(p)).mode & 0o777, 0o600)
  })

  describe('when a writer crashed between write and rename', () => {
    it('keeps the old file intact and a later write still succeeds', async () => {
      const p = join(dir, 'state.json')
      await writeFileAtomic(p, JSON.stringify({ version: 1 }))
      // what a crash leaves behind: a half-written temp file beside the target
      await writeFile(join(dir, '.state.json.0123456789ab.tmp'), '{"version":2, "trunc', { mode: 0o600 })
      assert.deepEqual(await readJsonFile(p, 1024, asIs), { version: 1 })
      await writeFileAtomic(p, JSON.stringify({ version: 3 }))
      assert.deepEqual(await readJsonFile(p, 1024, asIs), { version: 3 })
    })
  })

  describe('when many writers race', () => {
    it('leaves exactly one complete version', async () => {
      const p = join(dir, 'race.json')
      const versions = Array.from({ length: 24 }, (_, i) => JSON.stringify({ i, pad: String(i).repeat(40_000) }))
      await Promise.all(versions.map((v) => writeFileAtomic(p, v)))
      assert.ok(versions.includes(await readFile(p, 'utf8')))
      assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith('.race.json')), [])
    })
  })

  it('fails with AGENT_FILE_WRITE_FAILED when the directory does not exist', async () => {
    const p = join(dir, 'no-such-dir', 'x.json')
    await assert.rejects(writeFileAtomic(p, 'x'), { code: 'AGENT_FILE_WRITE_FAILED', details: { path: p } })
  })
})

describe('readJsonFile', () => {
  it('returns what parse returns', async () => {
    const p = join(dir, 'ok.json')
    await writeFile(p, '{"n":5}')
    assert.equal(await readJsonFile(p, 100, (v) => (v as { n: number }).n), 5)
  })

  it('reports a missing file as AGENT_FILE_MISSING', async () => {
    await assert.rejects(readJsonFile(join(dir, 'nope.json'), 100, asIs), { code: 'AGENT_FILE_MISSING' })
  })

  it('refuses a file over the bound with AGENT_FILE_TOO_LARGE', async () => {
    const p = join(dir, 'big.json')
    await writeFile(p, JSON.stringify('x'.repeat(200)))
    await assert.rejects(readJsonFile(p, 100, asIs), { code: 'AGENT_FILE_TOO_LARGE' })
    assert.equal((await readJsonFile(p, 202, asIs) as string).length, 200)
  })

  it('names the file on bad JSON', async () => {
    const p = join(dir, 'bad.json')
    await writeFile(p, '{"a":')
    await assert.rejects(readJsonFile(p, 100, asIs), (e: unknown) => {
      assert.ok(e instanceof AgentError)
      assert.equal(e.code, 'AGENT_JSON_INVALID')
      assert.ok(e.message.includes(p))
      assert.equal(e.details?.['path'], p)
      return true
    })
  })

  it('refuses bytes that are not UTF-8 as AGENT_JSON_INVALID', async () => {
    const p = join(dir, 'latin1.json')
    await writeFile(p, Buffer.from([0x22, 0xe9, 0x22]))
    await assert.rejects(readJsonFile(p, 100, asIs), { code: 'AGENT_JSON_INVALID' })
  })

  it('wraps a foreign parse error as AGENT_FILE_INVALID and passes an AgentError through', async () => {
    const p = join(dir, 'shape.json')
    await writeFile(p, '[]')
    await assert.rejects(
      readJsonFile(p, 100, () => {
        throw new TypeError('not an object')
      }),
      { code: 'AGENT_FILE_INVALID', message: `${p}: not an object` },
    )
    await assert.rejects(
      readJsonFile(p, 100, () => {
        throw new AgentError('AGENT_POLICY_INVALID', 'x')
      }),
      { code: 'AGENT_POLICY_INVALID' },
    )
  })

  it('reports a directory as AGENT_FILE_READ_FAILED', async () => {
    await assert.rejects(readJsonFile(dir, 100, asIs), { code: 'AGENT_FILE_READ_FAILED' })
  })
})
