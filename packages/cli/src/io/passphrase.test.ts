import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { promises as fs } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { isCliError } from '../errors.js'
import { getPassphrase, readPassphraseFile, type Prompt } from './passphrase.js'

const GOOD = 'a long enough passphrase'

/** A prompt that answers from a list and records the questions. */
function scripted(...answers: (string | undefined)[]): Prompt & { questions: string[] } {
  const questions: string[] = []
  const prompt = async (q: string): Promise<string | undefined> => {
    questions.push(q)
    return answers.shift()
  }
  return Object.assign(prompt, { questions })
}

async function rejectsWith(p: Promise<unknown>, code: string, secret?: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isCliError(e), String(e))
    assert.equal(e.code, code)
    if (secret !== undefined) assert.ok(!e.message.includes(secret) && !e.hint.includes(secret))
    return true
  })
}

describe('getPassphrase', () => {
  let dir: string
  before(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'palisade-pass-'))
  })
  after(async () => fs.rm(dir, { recursive: true }))

  it('takes the file first, then the environment, then the prompt', async () => {
    const file = join(dir, 'p1')
    await fs.writeFile(file, 'from the file\n')
    const env = { PALISADE_PASSPHRASE: 'from the environment' }
    const prompt = scripted('from the prompt')
    assert.equal(await getPassphrase({ purpose: 'unlock', label: 'k', file, env, prompt }), 'from the file')
    assert.equal(await getPassphrase({ purpose: 'unlock', label: 'k', env, prompt }), 'from the environment')
    assert.equal(await getPassphrase({ purpose: 'unlock', label: 'k', env: { PALISADE_PASSPHRASE: '' }, prompt }), 'from the prompt')
    assert.deepEqual(prompt.questions, ['Passphrase for k: '])
  })

  it('when creating, asks twice at the prompt and refuses a mismatch', async () => {
    const ok = scripted(GOOD, GOOD)
    assert.equal(await getPassphrase({ purpose: 'create', label: 'key "a"', env: {}, prompt: ok }), GOOD)
    assert.deepEqual(ok.questions, ['New passphrase for key "a": ', 'Repeat the passphrase: '])
    await rejectsWith(getPassphrase({ purpose: 'create', label: 'k', env: {}, prompt: scripted(GOOD, GOOD + 'x') }), 'CLI_PASSPHRASE_MISMATCH', GOOD)
  })

  it('when creating, refuses fewer than 12 characters from any source', async () => {
    await rejectsWith(getPassphrase({ purpose: 'create', label: 'k', env: { PALISADE_PASSPHRASE: 'pw42x' }, prompt: scripted() }), 'CLI_PASSPHRASE_WEAK', 'pw42x')
    await rejectsWith(getPassphrase({ purpose: 'create', label: 'k', env: {}, prompt: scripted('elevenchars') }), 'CLI_PASSPHRASE_WEAK')
    assert.equal(await getPassphrase({ purpose: 'create', label: 'k', env: { PALISADE_PASSPHRASE: 'twelve chars' } }), 'twelve chars')
  })

  it('when unlocking, accepts a short passphrase (the key decides)', async () => {
    assert.equal(await getPassphrase({ purpose: 'unlock', label: 'k', env: { PALISADE_PASSPHRASE: 'short' } }), 'short')
  })

  it('without any source or terminal: CLI_PASSPHRASE_REQUIRED', async () => {
    await rejectsWith(getPassphrase({ purpose: 'unlock', label: 'k', env: {}, prompt: scripted(undefined) }), 'CLI_PASSPHRASE_REQUIRED')
  })
})

describe('readPassphraseFile', () => {
  let dir: string
  before(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'palisade-pass-'))
  })
  after(async () => fs.rm(dir, { recursive: true }))

  const write = async (name: string, data: string | Uint8Array): Promise<string> => {
    const p = join(dir, name)
    await fs.writeFile(p, data)
    return p
  }

  it('reads the first line, without LF or CRLF, keeping inner spaces', async () => {
    assert.equal(await readPassphraseFile(await write('a', '  spaced words  \nsecond line\n')), '  spaced words  ')
    assert.equal(await readPassphraseFile(await write('b', 'windows line\r\n')), 'windows line')
    assert.equal(await readPassphraseFile(await write('c', 'no newline')), 'no newline')
  })

  it('refuses a missing, empty, non-UTF-8 or oversized file (CLI_PASSPHRASE_FILE)', async () => {
    await rejectsWith(readPassphraseFile(join(dir, 'missing')), 'CLI_PASSPHRASE_FILE')
    await rejectsWith(readPassphraseFile(await write('e', '')), 'CLI_PASSPHRASE_FILE')
    await rejectsWith(readPassphraseFile(await write('n', '\nsecret on line two')), 'CLI_PASSPHRASE_FILE', 'secret on line two')
    await rejectsWith(readPassphraseFile(await write('u', Uint8Array.from([0xff, 0xfe, 0x41]))), 'CLI_PASSPHRASE_FILE')
    await rejectsWith(readPassphraseFile(await write('big', 'x'.repeat(5000))), 'CLI_PASSPHRASE_FILE')
    await rejectsWith(readPassphraseFile(dir), 'CLI_PASSPHRASE_FILE')
  })

  it('follows a symlink the user names on purpose', { skip: process.platform === 'win32' }, async () => {
    const target = await write('t', 'via a link\n')
    await fs.symlink(target, join(dir, 'link'))
    assert.equal(await readPassphraseFile(join(dir, 'link')), 'via a link')
  })
})
