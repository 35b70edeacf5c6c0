/**
 * Watches one script process from spawn to the close of its output.
 *
 * Guarantees: the process leads its own process group (`detached: true`
 * calls setsid); at the timeout, and also when the leader exits leaving
 * background children behind, the whole group gets SIGTERM and, after the
 * grace period, SIGKILL; each output stream is read to its end but only its
 * first `cap` bytes are held; the promise settles even when a process that
 * escaped the group (setsid) keeps the pipes open.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process'
import type { Readable } from 'node:stream'
import { AgentError } from '../errors.js'
import { CappedOutput } from './capped-output.js'
import { groupAlive, terminateGroup } from './process-group.js'
import type { RunAsIdentity } from './run-as.js'
import type { RunScriptResult } from './run-script.js'

/** How to run and watch one interpreter process. */
export interface Supervision {
  readonly who: RunAsIdentity
  readonly env: Readonly<Record<string, string>>
  readonly cwd: string
  /** Byte cap per output stream. */
  readonly cap: number
  readonly graceMs: number
  readonly timeoutMs: number
}

/**
 * Spawns `file args` as the leader of a new process group and resolves when
 * its output streams have closed; rejects only with AGENT_SPAWN_FAILED.
 * Options are trusted here: runScript has validated them.
 *
 * @example
 * await superviseScript('/bin/sh', ['/tmp/palisade-run-x/script'], { who, env, cwd: '/', cap: 1 << 20, graceMs: 2000, timeoutMs: 60_000 })
 */
export function superviseScript(file: string, args: readonly string[], s: Supervision): Promise<RunScriptResult> {
  return new Promise((resolve, reject) => {
    const startedAt = new Date().toISOString()
    const { uid, gid } = s.who
    const ids = uid !== undefined && gid !== undefined ? { uid, gid } : {}
    const spawnFailed = (e: unknown): AgentError =>
      new AgentError('AGENT_SPAWN_FAILED', `cannot start ${file} in ${s.cwd}: ${(e as Error).message}`, { cause: e })
    let child: ChildProcessByStdio<null, Readable, Readable>
    try {
      child = spawn(file, args, { cwd: s.cwd, env: s.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'], ...ids })
    } catch (e) {
      reject(spawnFailed(e))
      return
    }
    const out = new CappedOutput(s.cap)
    const err = new CappedOutput(s.cap)
    child.stdout.on('data', (c: Buffer) => out.push(c))
    child.stderr.on('data', (c: Buffer) => err.push(c))
    let timedOut = false
    let cancelKill: (() => void) | undefined
    const stopGroup = (): void => {
      if (cancelKill === undefined && child.pid !== undefined) cancelKill = terminateGroup(child.pid, s.graceMs)
    }
    const timeout = setTimeout(() => {
      timedOut = true
      stopGroup()
    }, s.timeoutMs)
    let drain: NodeJS.Timeout | undefined
    child.on('error', (e) => {
      // After a successful spawn, 'error' only reports a failed kill; the run goes on.
      if (child.pid !== undefined) return
      clearTimeout(timeout)
      reject(spawnFailed(e))
    })
    child.once('exit', () => {
      clearTimeout(timeout)
      // The leader is done; background children it left in its group are
      // part of the command and end with it.
      stopGroup()
      // A process that escaped the group (setsid) may still hold our pipes:
      // stop waiting for them shortly after SIGKILL would have been sent.
      drain = setTimeout(() => {
        child.stdout.destroy()
        child.stderr.destroy()
      }, s.graceMs + 500)
    })
    child.once('close', (exitCode: number | null, signal: NodeJS.Signals | null) => {
      if (child.pid === undefined) return // spawn failed; 'error' rejected already
      clearTimeout(drain)
      if (!groupAlive(child.pid)) cancelKill?.()
      resolve({
        exitCode,
        signal,
        timedOut,
        stdout: out.text(),
        stderr: err.text(),
        stdoutTruncated: out.truncated,
        stderrTruncated: err.truncated,
        stdoutBytes: out.totalBytes,
        stderrBytes: err.totalBytes,
        startedAt,
        finishedAt: new Date().toISOString(),
      })
    })
  })
}
