// `palisade witness …` end to end: the built CLI (packages/cli/dist/bin.js)
// in real child processes, on a temporary data directory.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { access, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cosignature, note } from '@palisade/protocol'
import { addCheckpoint, postReport, rejectionEnvelope, TestLog, testKey } from './test-log.test.helper.js'

const ROOT = process.env['PALISADE_REPO_ROOT'] ?? fileURLToPath(new URL('../../../', import.meta.url))
const BIN = join(ROOT, 'packages/cli/dist/bin.js')

function spawnCli(args: string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env['PATH'] ?? '' } })
}

function palisade(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args)
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** Starts `palisade witness …`, resolves with its first stdout line once printed. */
function serve(args: string[]): Promise<{ child: ChildProcessWithoutNullStreams; line: string; exit: Promise<number | null> }> {
  const child = spawnCli(args)
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  return new Promise((resolve, reject) => {
    let out = ''
    let err = ''
    const timer = setTimeout(() => reject(new Error(`no output in time; stderr: ${err}`)), 10_000)
    child.stderr.on('data', (d: Buffer) => (err += d.toString()))
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString()
      if (out.includes('\n')) {
        clearTimeout(timer)
        resolve({ child, line: out.slice(0, out.indexOf('\n')), exit })
      }
    })
    void exit.then((code) => reject(new Error(`exited ${code}: ${err}`)))
  })
}

describe('palisade witness (CLI)', () => {
  let root: string
  let data: string
  let log: TestLog
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'palisade-witness-cli-'))
    data = join(root, 'data')
    log = (await TestLog.create('example.com/cli-log')).grow(3)
  })
  after(async () => rm(root, { recursive: true, force: true }))

  it('key prints the cosignature/v1 verifier key, the same each time', async () => {
    const r = await palisade(['witness', 'key', '--data', data, '--name', 'witness.cli.test'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^witness\.cli\.test\+[0-9a-f]{8}\+B[A-Za-z0-9+/]{43}\n$/)
    cosignature.witnessVerifierFromString(r.stdout.trim())
    const again = await palisade(['witness', 'key', '--data', data])
    assert.equal(again.stdout, r.stdout)
  })

  it('add-log validates the key, registers it, and never replaces a log key', async () => {
    const bad = await palisade(['--json', 'witness', 'add-log', '--data', data, '--key', log.vkey.slice(0, -4) + 'AAA='])
    assert.equal(bad.code, 2)
    const { error } = JSON.parse(bad.stderr) as { error: { code: string; details: { code: string } } }
    assert.deepEqual([error.code, error.details.code], ['CLI_ARG_INVALID', 'WIT_KEY_INVALID'])

    const r = await palisade(['witness', 'add-log', '--data', data, '--key', log.vkey])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stdout, 'Added log "example.com/cli-log".\n')

    const other = await TestLog.create('example.com/cli-log', 'another key')
    const clash = await palisade(['--json', 'witness', 'add-log', '--data', data, '--key', other.vkey])
    assert.equal(clash.code, 2)
    assert.equal((JSON.parse(clash.stderr) as { error: { details: { code: string } } }).error.details.code, 'WIT_LOG_EXISTS')
  })

  it('serve prints its key and URL, cosigns, and stops cleanly on SIGTERM', async () => {
    const { child, line, exit } = await serve(['--json', 'witness', 'serve', '--listen', '127.0.0.1:0', '--data', data, '--log-level', 'warn'])
    const printed = JSON.parse(line) as { name: string; verifierKey: string; url: string; dataDir: string }
    assert.equal(printed.name, 'witness.cli.test')
    assert.equal(printed.dataDir, data)
    const r = await addCheckpoint(printed.url, await log.request(0, 3))
    assert.equal(r.status, 200, r.body)
    const text = note.parse(await log.checkpoint(3)).text
    cosignature.verifyCosignature(text, r.body, cosignature.witnessVerifierFromString(printed.verifierKey))
    child.kill('SIGTERM')
    assert.equal(await exit, 0)
    await assert.rejects(access(join(data, 'witness.lock')))
  })

  it('reports prune refuses while the witness serves, then archives the reports through a seq and numbering goes on', async () => {
    const { child, line, exit } = await serve(['--json', 'witness', 'serve', '--listen', '127.0.0.1:0', '--data', data, '--log-level', 'silent', '--report-store-mib', '1'])
    const { url } = JSON.parse(line) as { url: string }
    const envelope = await rejectionEnvelope(testKey('device d1'), 'd1')
    for (let seq = 1; seq <= 3; seq++) assert.deepEqual(JSON.parse((await postReport(url, { origin: log.origin, deviceId: 'd1', envelope })).body), { seq })
    const prune = (through: string, json = true) =>
      palisade([...(json ? ['--json'] : []), 'witness', 'reports', 'prune', '--data', data, '--origin', log.origin, '--through', through])
    type Failure = { error: { code: string; hint?: string; details?: { code: string } } }
    const locked = await prune('2')
    assert.notEqual(locked.code, 0)
    const { error } = JSON.parse(locked.stderr) as Failure
    assert.deepEqual([error.code, error.details?.code], ['CLI_IO', 'WIT_DATA_LOCKED'])
    assert.match(error.hint ?? '', /stop the witness first/)
    child.kill('SIGTERM')
    assert.equal(await exit, 0)

    const zero = await prune('0')
    assert.equal(zero.code, 2)
    assert.equal((JSON.parse(zero.stderr) as Failure).error.code, 'CLI_ARG_INVALID')
    const past = await prune('9')
    assert.equal(past.code, 2)
    assert.equal((JSON.parse(past.stderr) as Failure).error.details?.code, 'WIT_CONFIG')
    const unknown = await palisade(['--json', 'witness', 'reports', 'prune', '--data', data, '--origin', 'example.com/nope', '--through', '1'])
    assert.equal((JSON.parse(unknown.stderr) as Failure).error.details?.code, 'WIT_LOG_UNKNOWN')

    const r = await prune('2')
    assert.equal(r.code, 0, r.stderr)
    const done = JSON.parse(r.stdout) as { archived: number; kept: number; nextSeq: number; archive: string }
    assert.deepEqual([done.archived, done.kept, done.nextSeq], [2, 1, 4])
    assert.ok(done.archive.startsWith(join(data, 'reports-archive')), done.archive)
    const again = await prune('2', false)
    assert.equal(again.stdout, `Nothing to archive for "${log.origin}" through #2; the next report will be #4.\n`)
  })

  it('with no subcommand serves, and stops on SIGINT', async () => {
    const { child, line, exit } = await serve(['witness', '--listen', '127.0.0.1:0', '--data', data, '--log-level', 'silent'])
    assert.match(line, /^witness: +witness\.cli\.test$/)
    child.kill('SIGINT')
    assert.equal(await exit, 0)
  })
})
