/**
 * How `palisade people` prints a person: the JSON of --json (the API's
 * fields, plus each SSH key's fingerprint), and the aligned human fields.
 */
import type { Person } from '../http/directory-api.js'
import { formatFields, type JsonValue } from '../io/output.js'
import { parseSshKeyLine, sshKeyFingerprint } from '../io/ssh-key-file.js'

/** The `SHA256:` fingerprint of a stored key line. */
export function sshFingerprint(line: string): string {
  return sshKeyFingerprint(line)
}

/** The comment of a stored key line ('' when it has none). */
export function sshComment(line: string): string {
  return parseSshKeyLine(line)?.comment ?? ''
}

/**
 * A person as --json prints it.
 *
 * @example
 * inv.out.result(personJson(p), () => formatPerson(p))
 */
export function personJson(p: Person): { readonly [k: string]: JsonValue } {
  return {
    id: p.id,
    username: p.username,
    email: p.email,
    name: p.name,
    status: p.status,
    sshKeys: [...p.sshKeys],
    sshKeyFingerprints: p.sshKeys.map(sshFingerprint),
    attributes: { ...p.attributes },
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
    version: p.version,
  }
}

/**
 * A person as aligned `label: value` lines.
 *
 * @example
 * formatPerson(p) // 'id:        person-0a1b…\nusername:  alice\n…'
 */
export function formatPerson(p: Person, extra: readonly (readonly [string, string])[] = []): string {
  const time = (t: number | null): string => (t === null ? '-' : new Date(t).toISOString())
  const keys = p.sshKeys.map((k) => {
    const line = parseSshKeyLine(k)
    return `${sshFingerprint(k)} ${line?.type ?? ''}${line?.comment ? ` ${line.comment}` : ''}`
  })
  const attributes = Object.entries(p.attributes).map(([k, v]) => `${k}=${v}`)
  return formatFields([
    ['id', p.id],
    ['username', p.username],
    ['name', p.name],
    ['email', p.email],
    ['status', p.status],
    ['ssh keys', keys.length === 0 ? '-' : keys.join('\n' + ' '.repeat(13))],
    ['attributes', attributes.length === 0 ? '-' : attributes.join(', ')],
    ['updated', `${time(p.updatedAt)} (version ${p.version})`],
    ...extra,
  ])
}
