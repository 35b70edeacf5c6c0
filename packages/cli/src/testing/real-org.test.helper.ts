// Test helper: the built `palisade` executable as real child processes — a
// server on SQLite, a witness, and admins with their own PALISADE_HOME —
// and an org set up through the CLI the way the README does it (a few
// steps copied from packages/e2e/src/org-setup.ts, which the CLI package
// must not depend on). Everything listens on 127.0.0.1 only.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const BIN = fileURLToPath(new URL('../bin.js', import.meta.url))
export const PASS = 'correct horse battery staple'

export interface RunResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs `palisade …` to completion with only PATH and `env` in its environment. */
export function palisade(args: readonly string[], env: Record<string, string>): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      // a new session has no controlling terminal, so a prompt cannot hang the test
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env['PATH'] ?? '', ...env },
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** Runs `palisade …` and fails with its output unless it exits 0; returns stdout. */
export async function ok(args: readonly string[], env: Record<string, string>): Promise<string> {
  const r = await palisade(args, env)
  if (r.code !== 0) throw new Error(`palisade ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
  return r.stdout
}

/** A long-running `palisade …` whose combined output can be awaited. */
export class Proc {
  readonly child: ChildProcess
  output = ''

  constructor(args: readonly string[], readonly label: string) {
    this.child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env['PATH'] ?? '' }, stdio: ['ignore', 'pipe', 'pipe'] })
    const onData = (d: Buffer): void => void (this.output += d.toString())
    this.child.stdout!.on('data', onData)
    this.child.stderr!.on('data', onData)
  }

  /** The first match of `re` in the output, polling until `timeoutMs`. */
  async waitFor(re: RegExp, timeoutMs = 15_000): Promise<RegExpMatchArray> {
    const end = Date.now() + timeoutMs
    for (;;) {
      const m = this.output.match(re)
      if (m) return m
      if (this.child.exitCode !== null || Date.now() > end) throw new Error(`${this.label}: no ${re}; output:\n${this.output}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  /** SIGTERM, then SIGKILL after a grace period; resolves when it exited. */
  async stop(graceMs = 5000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    const exited = new Promise<void>((r) => this.child.once('exit', () => r()))
    this.child.kill('SIGTERM')
    const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(t)
  }
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      const port = typeof a === 'object' && a !== null ? a.port : 0
      s.close(() => resolve(port))
    })
  })
}

/** A running server and witness with an org whose admins are `admins` (root threshold 2). */
export interface RealOrg {
  readonly url: string
  readonly fingerprint: string
  readonly apiKey: string
  readonly server: Proc
  readonly witness: Proc
  /** The witness's URL (for `root upload --witness-url`). */
  readonly witnessUrl: string
  /** The environment that runs the CLI as `who`. */
  home(who: string): Record<string, string>
  stop(): Promise<void>
}

/**
 * Starts a server and a witness in `dir` and sets up org `acme` with 2-of-n
 * thresholds (device: 1) through the CLI: keys, root v1 drafted by the
 * first admin and signed by the first two, the log registered with the
 * witness, the upload, and a login with the fingerprint for the others.
 */
export async function startRealOrg(dir: string, admins: readonly string[]): Promise<RealOrg> {
  const home = (who: string): Record<string, string> => ({ PALISADE_PASSPHRASE: PASS, PALISADE_HOME: join(dir, `home-${who}`) })
  const port = await freePort()
  const url = `http://127.0.0.1:${port}`
  const server = new Proc(['server', '--listen', `127.0.0.1:${port}`, '--data', join(dir, 'data')], 'server')
  const witnessData = join(dir, 'witness')
  const witness = new Proc(['witness', 'serve', '--listen', '127.0.0.1:0', '--data', witnessData, '--name', 'witness.test'], 'witness')
  const stop = async (): Promise<void> => void (await Promise.all([server.stop(), witness.stop()]))
  try {
    const setupCode = (await server.waitFor(/setup code[^:]*: ([A-Z0-9-]+)/))[1]!
    await server.waitFor(/listening on http:\/\/127\.0\.0\.1:\d+/)
    const wkey = (await witness.waitFor(/verifier key:\s+(\S+)/))[1]!
    const wurl = (await witness.waitFor(/url:\s+(http:\/\/\S+)/))[1]!

    const adminArgs: string[] = []
    await Promise.all(
      admins.map(async (who) => {
        const k = JSON.parse(await ok(['--json', 'key', 'generate', '--name', who], home(who))) as { publicKey: string }
        adminArgs.push('--admin', `${who}=${k.publicKey}`)
      }),
    )
    const first = admins[0]!
    const rootFile = join(dir, 'root-v1.json')
    const draft = await ok(
      ['org', 'init', '--server', url, '--setup-code', setupCode, '--org', 'acme', ...adminArgs,
        '--threshold', 'command=2,policy=2,root=2,device=1', '--witness', `${wkey}@${wurl}`, '--out', rootFile],
      home(first),
    )
    const logKey = draft.match(/log key:\s+(\S+)/)![1]!
    const fingerprint = draft.match(/fingerprint:\s+([0-9a-f]{64})/)![1]!
    for (const who of admins.slice(0, 2)) await ok(['root', 'sign', rootFile, '--key', who, '--yes'], home(who))
    await ok(['witness', 'add-log', '--data', witnessData, '--key', logKey, '--root-fingerprint', fingerprint], {})
    await ok(['org', 'init', '--server', url, '--setup-code', setupCode, '--root', rootFile], home(first))
    const apiKey = (JSON.parse(readFileSync(join(dir, `home-${first}`, 'config.json'), 'utf8')) as { apiToken: string }).apiToken
    for (const who of admins.slice(1)) {
      await ok(['login', '--server', url, '--org', 'acme', '--api-key', apiKey, '--fingerprint', fingerprint], home(who))
    }
    return { url, fingerprint, apiKey, server, witness, witnessUrl: wurl, home, stop }
  } catch (e) {
    await stop()
    throw e
  }
}
