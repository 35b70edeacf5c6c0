/**
 * What changes from one root version to the next, for the admin who signs
 * it: one line per change, computed from the two parsed roots (never from
 * a summary in a draft file or from the server). Admins are matched by
 * key, so a replaced key and a renamed admin both show.
 */
import { ACTION_KINDS, type Root } from '@palisade/protocol'
import { formatDuration } from '../args/duration.js'
import { visible } from './describe-command.js'
import { witnessName } from './root-changes.js'

/**
 * The changes from `from` to `to`, one sentence each, in a stable order
 * (freeze first: it is what an incident signer looks for).
 *
 * @example
 * describeRootChanges(v1, v2) // ['frozen: no → YES: devices refuse every command', 'admin added: dave (key id …)']
 */
export function describeRootChanges(from: Root, to: Root): string[] {
  const out: string[] = []
  const iso = (s: number): string => new Date(s * 1000).toISOString()
  if (from.org !== to.org) out.push(`ORG CHANGED: ${from.org} → ${to.org}`)
  if (from.frozen !== to.frozen) {
    out.push(to.frozen ? 'frozen: no → YES: devices refuse every command' : 'frozen: YES → no: devices accept commands again')
  }
  const fromIds = new Map(from.admins.map((a) => [a.id, a]))
  const toIds = new Map(to.admins.map((a) => [a.id, a]))
  for (const a of to.admins) {
    const was = fromIds.get(a.id)
    if (was === undefined) out.push(`admin added: ${a.name} (key id ${a.id})`)
    else if (was.name !== a.name) out.push(`admin renamed: ${was.name} → ${a.name} (key id ${a.id})`)
  }
  for (const a of from.admins) if (!toIds.has(a.id)) out.push(`admin removed: ${a.name} (key id ${a.id})`)
  for (const kind of ACTION_KINDS) {
    if (from.thresholds[kind] !== to.thresholds[kind]) out.push(`${kind} threshold: ${from.thresholds[kind]} → ${to.thresholds[kind]}`)
  }
  for (const k of to.witnesses.keys) if (!from.witnesses.keys.includes(k)) out.push(`witness added: ${witnessName(k)} (${k})`)
  for (const k of from.witnesses.keys) if (!to.witnesses.keys.includes(k)) out.push(`witness removed: ${witnessName(k)} (${k})`)
  if (from.witnesses.quorum !== to.witnesses.quorum || from.witnesses.keys.length !== to.witnesses.keys.length) {
    out.push(`witness quorum: ${from.witnesses.quorum} of ${from.witnesses.keys.length} → ${to.witnesses.quorum} of ${to.witnesses.keys.length}`)
  }
  if (from.log.origin !== to.log.origin) out.push(`LOG ORIGIN CHANGED: ${from.log.origin} → ${to.log.origin}`)
  if (from.log.key !== to.log.key) out.push(`LOG KEY CHANGED: ${from.log.key} → ${to.log.key}`)
  if (from.maxCommandValiditySeconds !== to.maxCommandValiditySeconds) {
    out.push(`max command validity: ${formatDuration(from.maxCommandValiditySeconds)} → ${formatDuration(to.maxCommandValiditySeconds)}`)
  }
  if (from.checkpointMaxAgeSeconds !== to.checkpointMaxAgeSeconds) {
    const age = (s: number | null): string => (s === null ? 'none' : formatDuration(s))
    out.push(`checkpoint max age: ${age(from.checkpointMaxAgeSeconds)} → ${age(to.checkpointMaxAgeSeconds)}`)
  }
  for (const u of from.monitors) if (!to.monitors.includes(u)) out.push(`monitor removed: ${u}`)
  for (const u of to.monitors) if (!from.monitors.includes(u)) out.push(`monitor added: ${u}`)
  if (from.expiresAt !== to.expiresAt) out.push(`expires: ${iso(from.expiresAt)} → ${iso(to.expiresAt)}`)
  // names, origins and keys may hold any non-space Unicode: show what is there
  return out.map(visible)
}

/**
 * The changes as an indented block under a heading, or a sentence saying
 * that only the version (and its dates) change.
 *
 * @example
 * process.stderr.write(formatRootChanges(v1, v2))
 */
export function formatRootChanges(from: Root, to: Root): string {
  const lines = describeRootChanges(from, to)
  const head = `Changes from v${from.version} to v${to.version}:\n`
  if (lines.length === 0) return `${head}    none but the version and issue time\n`
  return head + lines.map((l) => `    ${l}\n`).join('')
}
