/**
 * Real child processes for end-to-end tests: the `palisade` CLI, and
 * long-running server, witness and agent processes whose output is watched
 * line by line. Everything listens on 127.0.0.1 only.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const REPO = fileURLToPath(new URL('../../../', import.meta.url))
export const BIN = `${REPO}packages/cli/dist/bin.js`

export interface RunResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `palisade …` to completion. */
export function palisade(args: string[], env: Record<string, string> = {}, input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    child.stdin.end(input ?? '')
  })
}

/** Runs `palisade …` and fails with its output unless it exits 0; returns stdout. */
export async function ok(args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await palisade(args, env)
  if (r.code !== 0) throw new Error(`palisade ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`)
  return r.stdout
}

/** A long-running process whose combined output can be awaited. */
export class Proc {
  readonly child: ChildProcess
  output = ''
  #waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void }[] = []

  constructor(args: string[], env: Record<string, string> = {}, readonly label = args[0] ?? 'proc') {
    this.child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    const onData = (d: Buffer): void => {
      this.output += d.toString()
      for (const w of [...this.#waiters]) {
        const m = this.output.match(w.re)
        if (m) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1)
          w.resolve(m)
        }
      }
    }
    this.child.stdout!.on('data', onData)
    this.child.stderr!.on('data', onData)
  }

  /** Resolves with the first match of `re` in the output so far or to come. */
  waitFor(re: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    const m = this.output.match(re)
    if (m) return Promise.resolve(m)
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${this.label}: no ${re} within ${timeoutMs} ms; output:\n${this.output}`)), timeoutMs)
      this.#waiters.push({ re, resolve: (x) => (clearTimeout(t), resolve(x)) })
    })
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

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Polls `fn` until it returns a truthy value or the time runs out. */
export async function until<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 20_000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs
  for (;;) {
    const v = await fn()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await sleep(100)
  }
}
