/**
 * What an admin sees of an org root before signing it or when checking it:
 * every field of the parsed root (never a server's summary of it) and its
 * fingerprint, plus its JSON form for --json.
 */
import { ACTION_KINDS, toBase64, type Root } from '@palisade/protocol'
import { formatDuration } from '../args/duration.js'
import { formatFields, type JsonValue } from '../io/output.js'
import { visible } from './describe-command.js'

/** The fields of a root, aligned, one admin and one witness per line. */
export function describeRoot(root: Root, fingerprint: string, witnessUrls?: ReadonlyMap<string, string>): string {
  const iso = (s: number): string => new Date(s * 1000).toISOString()
  const rows: [string, string][] = [
    ['org', root.org],
    ['version', String(root.version)],
    ['fingerprint', fingerprint],
    ['issued', iso(root.issuedAt)],
    ['expires', iso(root.expiresAt)],
    ['thresholds', ACTION_KINDS.map((k) => `${k} ${root.thresholds[k]}`).join(', ')],
    ['witness quorum', `${root.witnesses.quorum} of ${root.witnesses.keys.length}`],
    ['log origin', root.log.origin],
    ['log key', root.log.key],
    ['max command validity', formatDuration(root.maxCommandValiditySeconds)],
    ['checkpoint max age', root.checkpointMaxAgeSeconds === null ? 'none (devices raise no staleness alert)' : formatDuration(root.checkpointMaxAgeSeconds)],
    ['frozen', root.frozen ? 'YES: devices refuse every command' : 'no'],
  ]
  root.admins.forEach((a, i) => rows.push([i === 0 ? 'admins' : '', `${a.name} (key id ${a.id})`]))
  root.witnesses.keys.forEach((k, i) => {
    const url = witnessUrls?.get(k)
    rows.push([i === 0 ? 'witnesses' : '', url === undefined ? k : `${k} at ${url}`])
  })
  if (root.monitors.length === 0) rows.push(['monitors', 'none'])
  root.monitors.forEach((u, i) => rows.push([i === 0 ? 'monitors' : '', u]))
  // formatFields puts a colon after every label: blank continuation labels read better without one
  // key names and the origin may hold any non-space Unicode: show what is there
  return visible(formatFields(rows).replace(/^:(\s+)/gm, ' $1'))
}

/** The root as JSON (public keys as base64). */
export function rootJson(root: Root, fingerprint: string): { readonly [k: string]: JsonValue } {
  return {
    org: root.org,
    version: root.version,
    fingerprint,
    issuedAt: root.issuedAt,
    expiresAt: root.expiresAt,
    admins: root.admins.map((a) => ({ id: a.id, name: a.name, publicKey: toBase64(a.publicKey) })),
    thresholds: { ...root.thresholds },
    witnesses: { quorum: root.witnesses.quorum, keys: [...root.witnesses.keys] },
    log: { origin: root.log.origin, key: root.log.key },
    maxCommandValiditySeconds: root.maxCommandValiditySeconds,
    frozen: root.frozen,
    monitors: [...root.monitors],
    checkpointMaxAgeSeconds: root.checkpointMaxAgeSeconds,
  }
}
