import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  checkAgainstPolicy,
  DEFAULT_LOCAL_POLICY,
  formatLocalPolicy,
  loadLocalPolicy,
  parseLocalPolicy,
  type LocalPolicy,
} from './local-policy.js'

let dir: string
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'palisade-policy-'))
})
after(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('parseLocalPolicy', () => {
  it('accepts a full policy and freezes it', () => {
    const p = parseLocalPolicy('{"remoteCommands":true,"interpreters":["sh","bash"],"runAs":["root","deploy"],"maxTimeoutSeconds":600}')
    assert.deepEqual(p, { remoteCommands: true, interpreters: ['sh', 'bash'], runAs: ['root', 'deploy'], maxTimeoutSeconds: 600 })
    assert.ok(Object.isFrozen(p) && Object.isFrozen(p.interpreters) && Object.isFrozen(p.runAs))
  })

  it('accepts the minimal policy without optional fields', () => {
    assert.deepEqual(parseLocalPolicy('{"remoteCommands": false}'), { remoteCommands: false })
  })

  it('round-trips through formatLocalPolicy', () => {
    const p = parseLocalPolicy('{"maxTimeoutSeconds":5,"runAs":[],"remoteCommands":true}')
    assert.equal(formatLocalPolicy(p), '{\n  "remoteCommands": true,\n  "runAs": [],\n  "maxTimeoutSeconds": 5\n}\n')
    assert.deepEqual(parseLocalPolicy(formatLocalPolicy(p)), p)
  })

  describe('when fields are wrong', () => {
    it('names every bad field at once', () => {
      assert.throws(
        () => parseLocalPolicy('{"remoteCommand":true,"interpreters":["sh","zsh",3],"runAs":"root","maxTimeoutSeconds":1.5}'),
        {
          code: 'AGENT_POLICY_INVALID',
          details: {
            problems: [
              '"remoteCommand": unknown field',
              'remoteCommands: required, must be true or false',
              'interpreters[1]: "zsh" is not one of sh, bash, python3, perl',
              'interpreters[2]: 3 is not one of sh, bash, python3, perl',
              'runAs: must be an array of at most 1000 strings',
              'maxTimeoutSeconds: must be an integer from 1 to 2147483',
            ],
          },
        },
      )
    })

    it('refuses non-objects, bad JSON, prototype keys and odd user names', () => {
      for (const text of ['[]', 'null', '"x"', '{', '{"remoteCommands":"yes"}', '{"remoteCommands":true,"__proto__":{}}',
        '{"remoteCommands":true,"runAs":["a:b"]}', '{"remoteCommands":true,"runAs":[""]}', '{"remoteCommands":true,"maxTimeoutSeconds":0}',
        '{"remoteCommands":true,"interpreters":["constructor"]}']) {
        assert.throws(() => parseLocalPolicy(text), { code: 'AGENT_POLICY_INVALID' }, text)
      }
    })
  })
})

describe('loadLocalPolicy', () => {
  it('uses the documented default when the file is missing', async () => {
    assert.equal(await loadLocalPolicy(join(dir, 'none.json')), DEFAULT_LOCAL_POLICY)
    assert.deepEqual(DEFAULT_LOCAL_POLICY, { remoteCommands: true })
  })

  it('loads a valid file', async () => {
    const p = join(dir, 'ok.json')
    await writeFile(p, '{"remoteCommands": false}', { mode: 0o644 })
    assert.deepEqual(await loadLocalPolicy(p), { remoteCommands: false })
  })

  it('refuses a file with bad JSON, naming it', async () => {
    const p = join(dir, 'bad.json')
    await writeFile(p, '{"remoteCommands": fals', { mode: 0o600 })
    await assert.rejects(loadLocalPolicy(p), (e: Error & { code?: string }) => e.code === 'AGENT_POLICY_INVALID' && e.message.includes(p))
  })

  it('refuses a file that group or others can write', async () => {
    const p = join(dir, 'loose.json')
    await writeFile(p, '{"remoteCommands": false}')
    const { chmod } = await import('node:fs/promises')
    await chmod(p, 0o666)
    await assert.rejects(loadLocalPolicy(p), { code: 'AGENT_POLICY_INVALID' })
  })
})

describe('checkAgainstPolicy', () => {
  const req = { interpreter: 'bash', runAs: 'root', timeoutSeconds: 60 }
  const policy: LocalPolicy = { remoteCommands: true, interpreters: ['sh', 'bash'], runAs: ['root'], maxTimeoutSeconds: 60 }

  it('allows what the policy allows', () => {
    assert.equal(checkAgainstPolicy(DEFAULT_LOCAL_POLICY, req), null)
    assert.equal(checkAgainstPolicy(policy, req), null)
  })

  it('refuses everything when remote commands are off', () => {
    assert.deepEqual(checkAgainstPolicy({ remoteCommands: false }, req), {
      code: 'AGENT_POLICY_FORBIDS',
      reason: 'remote commands are disabled on this machine',
    })
  })

  it('names each broken rule', () => {
    const r = checkAgainstPolicy(policy, { interpreter: 'python3', runAs: 'deploy', timeoutSeconds: 61 })
    assert.equal(r?.code, 'AGENT_POLICY_FORBIDS')
    assert.equal(
      r?.reason,
      'interpreter "python3" is not allowed (allowed: sh, bash); running as "deploy" is not allowed (allowed: root); timeout 61s exceeds the local maximum of 60s',
    )
  })

  it('treats an empty list as "none allowed" and a NaN timeout as too long', () => {
    assert.match(checkAgainstPolicy({ remoteCommands: true, interpreters: [] }, req)?.reason ?? '', /allowed: none/)
    assert.notEqual(checkAgainstPolicy({ remoteCommands: true, maxTimeoutSeconds: 10 }, { ...req, timeoutSeconds: NaN }), null)
  })
})
