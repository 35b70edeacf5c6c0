import { describe, it, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { promises as fs } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Command } from 'commander'
import { Secret, saveConfig } from './config/config.js'
import { createContext, type CliDeps } from './context.js'
import { COMMANDS, buildProgram, commandPath, run, wantsJson, type Register } from './program.js'

interface Captured {
  readonly deps: CliDeps
  readonly out: () => string
  readonly err: () => string
}

function capture(env: Record<string, string | undefined> = {}): Captured {
  let out = ''
  let err = ''
  return {
    deps: { env, stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } },
    out: () => out,
    err: () => err,
  }
}

describe('run (in-process)', () => {
  let home: string
  before(async () => {
    home = await fs.mkdtemp(join(tmpdir(), 'palisade-program-'))
  })
  after(async () => fs.rm(home, { recursive: true }))

  it('exits 0 and prints help on stdout for --help', async () => {
    const c = capture()
    assert.equal(await run(['--help'], c.deps), 0)
    assert.match(c.out(), /Usage: palisade/)
    assert.match(c.out(), /--json/)
    assert.match(c.out(), /--home <dir>/)
    assert.match(c.out(), /--server <url>/)
  })

  for (const argv of [['key', '--help'], ['key', 'generate', '--help'], ['key', 'list', '--help'], ['key', 'show', '--help']]) {
    it(`has help for \`palisade ${argv.join(' ')}\``, async () => {
      const c = capture()
      assert.equal(await run(argv, c.deps), 0)
      assert.match(c.out(), new RegExp(`Usage: palisade ${argv.slice(0, -1).join(' ')}`))
    })
  }

  it('exits 2 with a hint for an unknown option, naming the command', async () => {
    const c = capture()
    assert.equal(await run(['key', 'list', '--bogus'], c.deps), 2)
    assert.equal(c.err(), "palisade: unknown option '--bogus'\n  hint: run `palisade key list --help`\n")
    assert.equal(c.out(), '')
  })

  it('exits 2 for an unknown command, with a suggestion on one line', async () => {
    const c = capture()
    assert.equal(await run(['kye'], c.deps), 2)
    assert.match(c.err(), /^palisade: unknown command 'kye' \(Did you mean key\?\)\n  hint: /)
  })

  it('exits 2 for a missing required option or argument', async () => {
    assert.equal(await run(['key', 'generate'], capture().deps), 2)
    assert.equal(await run(['key', 'show'], capture().deps), 2)
    assert.equal(await run(['key', 'show', 'a', 'b'], capture().deps), 2)
  })

  it('exits 2 when a group is run without a subcommand (its help goes to stderr)', async () => {
    const c = capture()
    assert.equal(await run(['key'], c.deps), 2)
    assert.match(c.err(), /Usage: palisade key/)
  })

  it('exits 2 for an invalid --server or name, with a clear message', async () => {
    const c = capture()
    assert.equal(await run(['--server', 'ftp://x', 'key', 'list'], c.deps), 2)
    assert.match(c.err(), /invalid server URL "ftp:\/\/x": only http/)
    const d = capture()
    assert.equal(await run(['key', 'show', '../etc/passwd'], d.deps), 2)
    assert.match(d.err(), /invalid name "..\/etc\/passwd"/)
  })

  it('reports usage errors as JSON on stderr in --json mode', async () => {
    const c = capture()
    assert.equal(await run(['--json', 'key', 'list', '--bogus'], c.deps), 2)
    assert.equal((JSON.parse(c.err()) as { error: { code: string } }).error.code, 'CLI_USAGE')
    assert.equal(c.out(), '')
  })

  it('accepts global options before or after the command', async () => {
    for (const argv of [['--json', '--home', home, 'key', 'list'], ['key', 'list', '--json', '--home', home]]) {
      const c = capture()
      assert.equal(await run(argv, c.deps), 0, c.err())
      assert.deepEqual(JSON.parse(c.out()), { keys: [] })
    }
  })

  it('runs a command added through the register list (the extension point)', async () => {
    const ping: Register = (program, ctx) => {
      program
        .command('ping')
        .description('test command')
        .action(async (_o: unknown, cmd: Command) => {
          const inv = ctx.invocation(cmd)
          inv.out.result({ server: await inv.serverUrl() }, () => 'pong')
        })
    }
    const c = capture()
    assert.equal(await run(['--json', '--server', 'http://127.0.0.1:8080/', 'ping'], c.deps, [...COMMANDS, ping]), 0)
    assert.deepEqual(JSON.parse(c.out()), { server: 'http://127.0.0.1:8080' })
  })
})

describe('Invocation.serverUrl', () => {
  it('uses --server, then $PALISADE_SERVER, then the config, else CLI_SERVER_REQUIRED', async () => {
    const home = await fs.mkdtemp(join(tmpdir(), 'palisade-server-'))
    const serverOf = async (argv: string[], env: Record<string, string>): Promise<string> => {
      const ctx = createContext({ ...capture(env).deps })
      let got = ''
      const program = buildProgram(ctx, [
        (p, c) => void p.command('x').action(async (_o: unknown, cmd: Command) => void (got = await c.invocation(cmd).serverUrl())),
      ])
      await program.parseAsync([...argv, 'x'], { from: 'user' })
      return got
    }
    const base = ['--home', home]
    await assert.rejects(serverOf(base, {}), { code: 'CLI_SERVER_REQUIRED' })
    await saveConfig(home, { server: 'https://from-config.example', apiToken: new Secret('t'.repeat(20)) })
    assert.equal(await serverOf(base, {}), 'https://from-config.example')
    assert.equal(await serverOf(base, { PALISADE_SERVER: 'https://from-env.example/' }), 'https://from-env.example')
    await assert.rejects(serverOf(base, { PALISADE_SERVER: 'nope' }), { code: 'CLI_ARG_INVALID' })
    assert.equal(await serverOf([...base, '--server', 'http://flag.example'], { PALISADE_SERVER: 'https://e.example' }), 'http://flag.example')
    await fs.rm(home, { recursive: true })
  })
})

describe('argv helpers', () => {
  it('commandPath follows subcommands and skips global option values', () => {
    const program = buildProgram(createContext(capture().deps))
    assert.deepEqual(commandPath(program, ['--home', 'key', 'key', 'show', 'x']), ['palisade', 'key', 'show'])
    assert.deepEqual(commandPath(program, ['nope']), ['palisade'])
  })

  it('wantsJson looks only before --', () => {
    assert.ok(wantsJson(['key', '--json']))
    assert.ok(!wantsJson(['key', '--', '--json']))
  })
})
