/**
 * The cost of one Ed25519 verification on this machine, measured next to
 * the figure it explains: the server verifies each result's device
 * signature once (gateway/report-handler.ts; never skipped), so that one
 * verification is a floor under "server CPU per delivered command" that no
 * server can go below. Measured with node:crypto and a prepared KeyObject,
 * as protocol's node backend verifies (keys are cached there), over what
 * the server verifies: the DSSE PAE of a simulated agent's signed result.
 */
import { generateKeyPairSync, sign, verify } from 'node:crypto'
import { dsse, formatReport, RESULT_PAYLOAD_TYPE, type CommandResult } from '@palisade/protocol'
import { median } from './proc-stats.js'

/**
 * Milliseconds per verification: the median of 5 rounds of `count`, after
 * one round of warm-up. Throws if a signature does not verify (a broken
 * measurement, not a cheap one).
 *
 * @example
 * const verifyMs = ed25519VerifyMs() // ~0.1 on an idle core
 */
export function ed25519VerifyMs(count = 2000): number {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const result: CommandResult = {
    type: 'palisade.result/v1', org: 'acme', commandId: 'cmd-bench', deviceId: 'dev-bench', status: 'completed', exitCode: 0, signal: null,
    stdout: '[palisade sim: not executed]\n', stderr: '', stdoutTruncated: false, stderrTruncated: false, startedAt: 1, finishedAt: 1,
  }
  const message = dsse.pae(RESULT_PAYLOAD_TYPE, formatReport(result))
  const signature = sign(null, message, privateKey)
  const round = (): number => {
    const t0 = performance.now()
    for (let i = 0; i < count; i++) if (!verify(null, message, publicKey, signature)) throw new Error('ed25519VerifyMs: a valid signature did not verify')
    return (performance.now() - t0) / count
  }
  round()
  return median(Array.from({ length: 5 }, round))
}
