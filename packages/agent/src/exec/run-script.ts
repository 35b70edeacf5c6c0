/**
 * Runs one verified command's script and reports what happened.
 *
 * Guarantees:
 * - the interpreter comes from the allowlist (never PATH) and the account
 *   from /etc/passwd (see interpreters.ts, run-as.ts);
 * - the script is in a private file (dir 0700, file 0600, owned by the
 *   run-as user), removed when the run ends, whatever the outcome;
 * - the script gets a fresh environment (PATH, HOME, USER, LOGNAME plus the
 *   caller's `env`): agent secrets in the agent's own environment do not leak;
 * - stdin is /dev/null, so a command that prompts fails instead of hanging;
 * - the script leads its own process group; at its timeout, and also when it
 *   exits leaving background children behind, the whole group gets SIGTERM
 *   and, after `killGraceMs`, SIGKILL: no process it started outlives the run
 *   (except one that called setsid itself to escape; see supervise-script.ts);
 * - at most `outputCapBytes` of each stream is held in memory.
 *
 * Why a file and not stdin: with `sh -s` the shell reads the script from the
 * same stdin its commands inherit, so any command that reads stdin (`read`,
 * `ssh`, package-manager prompts) would swallow the rest of the script, and
 * error messages could not name a line of a real file. A file keeps stdin
 * free (it is /dev/null) and works the same for every interpreter.
 */
import { chown, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { isAbsolute, join } from 'node:path'
import { AgentError } from '../errors.js'
import { resolveInterpreter } from './interpreters.js'
import { resolveRunAs } from './run-as.js'
import { superviseScript } from './supervise-script.js'

/** Default cap on each of stdout and stderr. */
export const DEFAULT_OUTPUT_CAP_BYTES = 1024 * 1024
/** Default time between SIGTERM and SIGKILL. */
export const DEFAULT_KILL_GRACE_MS = 2000
/** PATH given to scripts; the agent's own PATH is not inherited. */
export const SCRIPT_PATH_ENV = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

/** What to run. `interpreter`, `script`, `runAs`, `timeoutMs` come from a verified command. */
export interface RunScriptOptions {
  readonly interpreter: string
  readonly script: string
  readonly timeoutMs: number
  readonly runAs?: string | undefined
  readonly outputCapBytes?: number | undefined
  readonly env?: Readonly<Record<string, string>> | undefined
  /** Working directory; default `/`, which exists on every machine. */
  readonly cwd?: string | undefined
  readonly killGraceMs?: number | undefined
}

/** What happened. Exactly one of `exitCode`/`signal` is non-null. */
export interface RunScriptResult {
  readonly exitCode: number | null
  readonly signal: NodeJS.Signals | null
  readonly timedOut: boolean
  readonly stdout: string
  readonly stderr: string
  readonly stdoutTruncated: boolean
  readonly stderrTruncated: boolean
  /** Bytes the stream produced in total, including those dropped by the cap. */
  readonly stdoutBytes: number
  readonly stderrBytes: number
  /** ISO 8601 times, from just before spawn to when both streams closed. */
  readonly startedAt: string
  readonly finishedAt: string
}

/**
 * Runs `script` with an allowlisted interpreter, a timeout and output caps.
 *
 * Resolves for every outcome of the script itself (non-zero exit, signal,
 * timeout). Rejects with AGENT_INTERPRETER_UNKNOWN/_MISSING,
 * AGENT_RUNAS_FORBIDDEN/_UNKNOWN, AGENT_EXEC_INVALID or AGENT_SPAWN_FAILED
 * when it never started.
 *
 * @example
 * const r = await runScript({ interpreter: 'sh', script: 'uname -a', timeoutMs: 30_000 })
 * if (r.exitCode === 0) report(r.stdout)
 */
export async function runScript(opts: RunScriptOptions): Promise<RunScriptResult> {
  const cap = opts.outputCapBytes ?? DEFAULT_OUTPUT_CAP_BYTES
  const graceMs = opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS
  const cwd = opts.cwd ?? '/'
  checkOptions(opts.timeoutMs, cap, graceMs, cwd, opts.env ?? {})
  const interpreterPath = await resolveInterpreter(opts.interpreter)
  const who = await resolveRunAs(opts.runAs)
  const dir = await mkdtemp(join(tmpdir(), 'palisade-run-'))
  try {
    const scriptPath = join(dir, 'script')
    await writeFile(scriptPath, opts.script, { mode: 0o600, flag: 'wx' })
    if (who.uid !== undefined && who.gid !== undefined) {
      await chown(dir, who.uid, who.gid)
      await chown(scriptPath, who.uid, who.gid)
    }
    const env = { PATH: SCRIPT_PATH_ENV, HOME: who.home, USER: who.user, LOGNAME: who.user, ...opts.env }
    return await superviseScript(interpreterPath, [scriptPath], { who, env, cwd, cap, graceMs, timeoutMs: opts.timeoutMs })
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

function checkOptions(
  timeoutMs: number,
  cap: number,
  graceMs: number,
  cwd: string,
  env: Readonly<Record<string, string>>,
): void {
  const bad: string[] = []
  // setTimeout fires at once for delays above 2^31-1 ms, which would turn a long timeout into none.
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 0x7fffffff) bad.push('timeoutMs')
  if (!Number.isSafeInteger(cap) || cap < 0 || cap > 1 << 30) bad.push('outputCapBytes')
  if (!Number.isSafeInteger(graceMs) || graceMs < 0 || graceMs > 600_000) bad.push('killGraceMs')
  if (!isAbsolute(cwd) || cwd.includes('\0')) bad.push('cwd')
  for (const [k, v] of Object.entries(env)) {
    if (!ENV_NAME.test(k) || typeof v !== 'string' || v.includes('\0')) bad.push(`env.${k}`)
  }
  if (bad.length > 0) {
    throw new AgentError('AGENT_EXEC_INVALID', `invalid run options: ${bad.join(', ')}`, { details: { fields: bad } })
  }
}
