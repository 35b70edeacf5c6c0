/**
 * Runs one verified, policy-approved command and turns what happened into
 * a palisade.result/v1 report body.
 *
 * Status: `completed` when the interpreter ran and ended on its own (any
 * exit code or signal), `timed-out` when the agent stopped it at its
 * timeout, `failed-to-start` when it never started (unknown or missing
 * interpreter, unknown or forbidden run-as account, spawn failure); then
 * stderr holds the agent's reason, prefixed "palisade-agent:", and the
 * code. Output is capped at 1 MiB per stream by runScript and then fitted
 * into one signed report (fit-output.ts); truncation is always flagged.
 */
import { OUTPUT_CAP_BYTES, type CommandPayload, type CommandResult } from '@palisade/protocol'
import { AgentError } from '../errors.js'
import { runScript } from '../exec/run-script.js'
import { fitOutput, safeText } from '../report/fit-output.js'

/**
 * @example
 * const result = await executeCommand(verified.command, deviceId)
 */
export async function executeCommand(command: CommandPayload, deviceId: string): Promise<CommandResult> {
  const startedAt = Date.now()
  const base = { type: 'palisade.result/v1' as const, org: command.org, commandId: command.id, deviceId }
  try {
    const r = await runScript({
      interpreter: command.interpreter,
      script: command.script,
      timeoutMs: command.timeoutSeconds * 1000,
      runAs: command.runAs,
      outputCapBytes: OUTPUT_CAP_BYTES,
    })
    const started = Date.parse(r.startedAt)
    const finished = Date.parse(r.finishedAt)
    return fitOutput(
      Object.freeze({
        ...base,
        status: r.timedOut ? 'timed-out' : 'completed',
        exitCode: r.exitCode,
        signal: r.signal,
        stdout: r.stdout,
        stderr: r.stderr,
        stdoutTruncated: r.stdoutTruncated,
        stderrTruncated: r.stderrTruncated,
        startedAt: started,
        finishedAt: Math.max(started, finished),
      }),
    )
  } catch (e) {
    return failedToStart(command, deviceId, e, startedAt)
  }
}

/** The result of a command that never started, with the agent's reason in stderr. */
export function failedToStart(command: CommandPayload, deviceId: string, e: unknown, startedAt: number): CommandResult {
  const code = e instanceof AgentError ? e.code : 'AGENT_SPAWN_FAILED'
  const message = e instanceof Error ? e.message : String(e)
  return Object.freeze({
    type: 'palisade.result/v1',
    org: command.org,
    commandId: command.id,
    deviceId,
    status: 'failed-to-start',
    exitCode: null,
    signal: null,
    stdout: '',
    stderr: safeText(`palisade-agent: ${code}: ${message}\n`, 4096),
    stdoutTruncated: false,
    stderrTruncated: false,
    startedAt,
    finishedAt: Math.max(startedAt, Date.now()),
  })
}
