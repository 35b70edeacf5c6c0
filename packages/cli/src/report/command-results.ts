/**
 * The per-device results of a command, as `palisade command status` prints
 * them: status, exit code, then stdout and stderr indented, with truncation
 * (by the agent's output cap) marked. Output is device-controlled text; the
 * printer escapes control characters (io/output.ts printable).
 */
import type { CommandDetail, DeviceResult } from '../http/commands-api.js'
import type { JsonValue } from '../io/output.js'
import { REJECTED, progressOf, resultsByDevice, succeeded } from './command-progress.js'

/** The whole report: a headline and one block per device. */
export function formatCommandResults(detail: CommandDetail): string {
  const p = progressOf(detail)
  const head =
    `Command ${detail.id}: ${detail.status} · ${detail.signatures.length}/${detail.threshold} signatures · ` +
    `${p.answered} of ${p.total} device${p.total === 1 ? '' : 's'} answered, ${p.succeeded} succeeded, ${p.failed} failed\n`
  const results = resultsByDevice(detail)
  const blocks: string[] = []
  const ids = [...new Set([...detail.deliveries.map((d) => d.deviceId), ...results.keys()])].sort()
  for (const id of ids) {
    const r = results.get(id)
    if (r === undefined) {
      const status = detail.deliveries.find((x) => x.deviceId === id)?.status ?? 'unknown'
      blocks.push(
        status === REJECTED
          ? `${id}  REJECTED  the device refused to run it (\`palisade alerts\` says why)\n`
          : `${id}  no result yet (delivery ${status})\n`,
      )
    } else {
      blocks.push(formatResult(r))
    }
  }
  return head + (blocks.length === 0 ? '' : '\n' + blocks.join('\n'))
}

/** One device's block. */
export function formatResult(r: DeviceResult): string {
  const mark = succeeded(r) ? 'ok' : 'FAILED'
  const exit = r.exitCode === null ? 'no exit code' : `exit ${r.exitCode}`
  const signal = r.signal === null ? '' : ` · signal ${r.signal}`
  const took = r.startedAt !== null && r.finishedAt !== null ? ` · ${((r.finishedAt - r.startedAt) / 1000).toFixed(1)}s` : ''
  return `${r.deviceId}  ${mark}  ${r.status} · ${exit}${signal}${took}\n` + stream('stdout', r.stdout, r.stdoutTruncated) + stream('stderr', r.stderr, r.stderrTruncated)
}

function stream(name: string, text: string, truncated: boolean): string {
  if (text === '') return `  ${name}: (empty)${truncated ? ' [TRUNCATED]' : ''}\n`
  const body = text.replace(/\n$/, '').split('\n').map((l) => `    ${l}`).join('\n')
  return `  ${name}:\n${body}\n${truncated ? `    [${name} TRUNCATED by the agent's output cap]\n` : ''}`
}

/** The JSON form of a command's status and results. */
export function commandResultsJson(detail: CommandDetail): { readonly [k: string]: JsonValue } {
  const p = progressOf(detail)
  return {
    id: detail.id,
    status: detail.status,
    signatures: detail.signatures.map((s) => ({ keyid: s.keyid, name: s.name })),
    threshold: detail.threshold,
    logIndex: detail.logIndex,
    summary: { total: p.total, answered: p.answered, succeeded: p.succeeded, failed: p.failed, finished: p.finished, ok: p.ok, waiting: { ...p.waiting } },
    deliveries: detail.deliveries.map((d) => ({ deviceId: d.deviceId, status: d.status })),
    results: detail.results.map((r) => ({ ...r, succeeded: succeeded(r) })),
  }
}
