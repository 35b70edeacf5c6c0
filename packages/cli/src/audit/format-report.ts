/**
 * The audit report as `palisade log audit` prints it: a summary, then
 * every failure with its code, then warnings.
 */
import { formatFields, type JsonValue } from '../io/output.js'
import type { AuditReport } from './audit-log.js'

/** Human text. */
export function formatAuditReport(r: AuditReport): string {
  const witnesses = r.witnesses.length === 0 ? 'none' : r.witnesses.map((w) => `${w.name} (${w.cosigned})`).join(', ')
  let out =
    `Log audit of org "${r.org}": ${r.ok ? 'OK' : `FAILED (${r.findings.length + r.findingsDropped} failure${r.findings.length + r.findingsDropped === 1 ? '' : 's'})`}\n` +
    formatFields([
      ['pinned root', r.fingerprint],
      ['entries', String(r.entries)],
      ['commands', String(r.commands)],
      ['roots', r.rootVersion === null ? '0 verified' : `${r.roots} verified (v${r.rootVersion} in force)`],
      ['checkpoints', `${r.checkpointsVerified} of ${r.checkpoints} verified${r.latestSize === null ? '' : `, latest size ${r.latestSize}`}`],
      ['witnesses', witnesses],
    ])
  if (r.findings.length > 0) {
    out += '\nFailures:\n' + r.findings.map((f) => `  ${f.code}: ${f.message}\n`).join('')
    if (r.findingsDropped > 0) out += `  … and ${r.findingsDropped} more\n`
  }
  if (r.warnings.length > 0) out += '\nWarnings:\n' + r.warnings.map((w) => `  ${w}\n`).join('')
  return out
}

/** JSON form. */
export function auditReportJson(r: AuditReport): { readonly [k: string]: JsonValue } {
  return {
    ok: r.ok,
    org: r.org,
    fingerprint: r.fingerprint,
    entries: r.entries,
    commands: r.commands,
    roots: r.roots,
    rootVersion: r.rootVersion,
    checkpoints: r.checkpoints,
    checkpointsVerified: r.checkpointsVerified,
    latestSize: r.latestSize,
    witnesses: r.witnesses.map((w) => ({ ...w })),
    findings: r.findings.map((f) => ({ ...f })),
    findingsDropped: r.findingsDropped,
    warnings: [...r.warnings],
  }
}
