import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { runScript } from './run-script.js'
import { resolveInterpreter } from './interpreters.js'
import { resolveRunAs } from './run-as.js'

const isRoot = process.getuid?.() === 0
const hasPython = existsSync('/usr/bin/python3')

/** Gone, or a zombie waiting for an init that reaps slowly: either way it runs no code. */
function processGone(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? true
  } catch {
    return true
  }
}

async function eventually(check: () => boolean, ms = 2000): Promise<boolean> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (check()) return true
    await new Promise((r) => setTimeout(r, 25))
  }
  return check()
}

describe('runScript', () => {
  it('reports exit code, stdout and stderr separately', async () => {
    const r = await runScript({ interpreter: 'sh', script: 'echo out; echo err >&2; exit 3', timeoutMs: 5000 })
    assert.equal(r.exitCode, 3)
    assert.equal(r.signal, null)
    assert.equal(r.timedOut, false)
    assert.equal(r.stdout, 'out\n')
    assert.equal(r.stderr, 'err\n')
    assert.equal(r.stdoutTruncated, false)
    assert.ok(Date.parse(r.finishedAt) >= Date.parse(r.startedAt))
  })

  it('runs bash and gives the script a fresh environment, stdin at /dev/null and cwd /', async () => {
    process.env['PALISADE_TEST_SECRET'] = 'leak'
    const r = await runScript({
      interpreter: 'bash',
      script: 'echo "${PALISADE_TEST_SECRET:-none} $FOO $PWD"; read -r x || echo eof; [[ -n $HOME ]] && echo home',
      env: { FOO: 'bar' },
      timeoutMs: 5000,
    })
    delete process.env['PALISADE_TEST_SECRET']
    assert.equal(r.stdout, 'none bar /\neof\nhome\n')
  })

  it('removes the private script file afterwards', async () => {
    const before = readdirSync(tmpdir()).filter((n) => n.startsWith('palisade-run-')).length
    const r = await runScript({ interpreter: 'sh', script: 'ls -ld "$(dirname "$0")" "$0"', timeoutMs: 5000 })
    assert.match(r.stdout, /^drwx------ .*\n-rw------- /)
    assert.equal(readdirSync(tmpdir()).filter((n) => n.startsWith('palisade-run-')).length, before)
  })

  describe('when the script outlives its timeout', () => {
    it('kills the whole process group, grandchildren included', async () => {
      const r = await runScript({
        interpreter: 'sh',
        script: 'sleep 1000 &\necho $!\nwait\n',
        timeoutMs: 300,
        killGraceMs: 500,
      })
      assert.equal(r.timedOut, true)
      assert.equal(r.exitCode, null)
      assert.equal(r.signal, 'SIGTERM')
      const pid = Number(r.stdout.trim())
      assert.ok(pid > 1)
      assert.ok(await eventually(() => processGone(pid)), `grandchild ${pid} still alive`)
    })

    it('escalates to SIGKILL when the script ignores SIGTERM', async () => {
      const t0 = Date.now()
      const r = await runScript({ interpreter: 'sh', script: "trap '' TERM\nwhile :; do sleep 0.05; done", timeoutMs: 200, killGraceMs: 300 })
      assert.equal(r.timedOut, true)
      assert.equal(r.signal, 'SIGKILL')
      assert.ok(Date.now() - t0 < 3000)
    })
  })

  it('ends background children left behind by a script that exited', async () => {
    const r = await runScript({ interpreter: 'sh', script: 'sleep 1000 >/dev/null 2>&1 &\necho $!', timeoutMs: 5000 })
    assert.equal(r.exitCode, 0)
    assert.equal(r.timedOut, false)
    assert.ok(await eventually(() => processGone(Number(r.stdout.trim()))))
  })

  it('settles even when an escaped process (setsid) keeps its output pipe open', async () => {
    const t0 = Date.now()
    const r = await runScript({ interpreter: 'sh', script: 'setsid sleep 1000 &\necho $!', timeoutMs: 5000, killGraceMs: 200 })
    const pid = Number(r.stdout.trim())
    try {
      assert.equal(r.exitCode, 0)
      assert.ok(Date.now() - t0 < 2000)
    } finally {
      if (pid > 1) process.kill(pid, 'SIGKILL')
    }
  })

  it('keeps the first cap bytes of 3 MiB of output and counts the rest', async () => {
    const r = await runScript({
      interpreter: 'sh',
      script: "head -c 3145728 /dev/zero | tr '\\0' a; head -c 10 /dev/zero | tr '\\0' b >&2",
      timeoutMs: 10_000,
    })
    assert.equal(r.exitCode, 0)
    assert.equal(r.stdout.length, 1024 * 1024)
    assert.equal(r.stdoutTruncated, true)
    assert.equal(r.stdoutBytes, 3 * 1024 * 1024)
    assert.equal(r.stderr, 'bbbbbbbbbb')
    assert.equal(r.stderrTruncated, false)
  })

  it('honours a small cap exactly', async () => {
    const r = await runScript({ interpreter: 'sh', script: 'echo 0123456789', timeoutMs: 5000, outputCapBytes: 4 })
    assert.deepEqual([r.stdout, r.stdoutTruncated, r.stdoutBytes], ['0123', true, 11])
  })

  it('turns non-UTF-8 output into replacement characters without failing', async () => {
    const r = await runScript({ interpreter: 'sh', script: "printf 'caf\\351\\n\\377ok'", timeoutMs: 5000 })
    assert.equal(r.stdout, 'caf\uFFFD\n\uFFFDok')
    assert.equal(r.stdoutBytes, 8)
  })

  it('runs python3 when installed', { skip: !hasPython }, async () => {
    const r = await runScript({ interpreter: 'python3', script: 'import sys\nprint(6*7)\nsys.exit(2)', timeoutMs: 5000 })
    assert.deepEqual([r.stdout, r.exitCode], ['42\n', 2])
  })

  it('refuses an interpreter that is not on the allowlist', async () => {
    for (const interpreter of ['zsh', '/bin/sh', 'constructor', '']) {
      await assert.rejects(runScript({ interpreter, script: 'true', timeoutMs: 1000 }), {
        code: 'AGENT_INTERPRETER_UNKNOWN',
      })
    }
  })

  it('refuses malformed options with AGENT_EXEC_INVALID naming them', async () => {
    await assert.rejects(
      runScript({ interpreter: 'sh', script: 'true', timeoutMs: 0, outputCapBytes: -1, env: { 'A=B': 'x' }, cwd: 'rel' }),
      { code: 'AGENT_EXEC_INVALID', details: { fields: ['timeoutMs', 'outputCapBytes', 'cwd', 'env.A=B'] } },
    )
  })

  it('reports a missing working directory as AGENT_SPAWN_FAILED', async () => {
    await assert.rejects(runScript({ interpreter: 'sh', script: 'true', timeoutMs: 1000, cwd: '/nonexistent/dir' }), {
      code: 'AGENT_SPAWN_FAILED',
    })
  })

  it('runs as another user when the agent is root', { skip: !isRoot }, async () => {
    const r = await runScript({ interpreter: 'sh', script: 'id -u; echo "$USER $HOME"', runAs: 'nobody', timeoutMs: 5000 })
    assert.equal(r.exitCode, 0, r.stderr)
    assert.equal(r.stdout, '65534\nnobody /nonexistent\n')
  })

  it('refuses an unknown user when the agent is root', { skip: !isRoot }, async () => {
    await assert.rejects(runScript({ interpreter: 'sh', script: 'true', runAs: 'no-such-user-x', timeoutMs: 1000 }), {
      code: 'AGENT_RUNAS_UNKNOWN',
    })
  })
})

describe('resolveInterpreter', () => {
  it('resolves sh to an absolute path', async () => {
    assert.match(await resolveInterpreter('sh'), /^\/(usr\/)?bin\/sh$/)
  })
})

describe('resolveRunAs', () => {
  describe('when the agent is not root', () => {
    const ctx = { uid: 1000, passwdPath: '/nonexistent' }
    it('refuses another user with AGENT_RUNAS_FORBIDDEN', async () => {
      await assert.rejects(resolveRunAs('root', ctx), { code: 'AGENT_RUNAS_FORBIDDEN' })
    })
    it('accepts no request as "the agent itself" without switching', async () => {
      const who = await resolveRunAs(undefined, ctx)
      assert.equal(who.uid, undefined)
    })
  })

  it('does not switch when root asks for root', async () => {
    const who = await resolveRunAs('root', { uid: 0, passwdPath: '/etc/passwd' })
    assert.deepEqual(who, { user: 'root', home: '/root' })
  })
})
