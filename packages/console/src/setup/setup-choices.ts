/**
 * What the first admin chooses on the in-browser setup page, checked at the
 * edge: every field the form holds is refused with a sentence naming it
 * (`Witness 2 key: …`), before anything is sent or signed. Thresholds are
 * not a choice: a single first admin means 1 of 1 for every action; more
 * admins join later by a rotation a threshold of them signs.
 */
import {
  CHECKPOINT_MAX_AGE_MAX_SECONDS,
  CHECKPOINT_MAX_AGE_MIN_SECONDS,
  ORG_ID_RE,
  cosignature,
  isProtocolError,
  parseMonitorUrl,
} from '@palisade/protocol'

/** The form as typed (strings). */
export interface SetupForm {
  readonly setupCode: string
  readonly org: string
  readonly keyName: string
  readonly witnesses: readonly { readonly url: string; readonly key: string }[]
  readonly quorum: string
  readonly monitors: string
  readonly maxAgeHours: string
}

/** The form, checked. */
export interface SetupChoices {
  readonly setupCode: string
  readonly org: string
  readonly keyName: string
  readonly witnesses: readonly { readonly url: string; readonly key: string }[]
  readonly quorum: number
  readonly monitors: readonly string[]
  readonly checkpointMaxAgeSeconds: number | null
}

/** A refused form: one message per field, in form order. */
export class SetupFormError extends Error {
  override readonly name = 'SetupFormError'
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '))
  }
}

const KEY_NAME_RE = /^[A-Za-z0-9._@-]{1,64}$/

/**
 * Checks the form; throws SetupFormError naming every bad field.
 *
 * @example
 * const choices = checkSetupForm(form) // { org: 'acme', quorum: 1, checkpointMaxAgeSeconds: 86400, … }
 */
export function checkSetupForm(f: SetupForm): SetupChoices {
  const problems: string[] = []
  const setupCode = f.setupCode.trim()
  if (setupCode === '') problems.push('Setup code: enter the code the server printed at its first start')
  const org = f.org.trim()
  if (!ORG_ID_RE.test(org)) problems.push('Organisation id: 1 to 63 of a-z, 0-9 and -, starting with a letter or digit')
  const keyName = f.keyName.trim()
  if (!KEY_NAME_RE.test(keyName)) problems.push('Your admin name in the root: 1 to 64 of A-Z a-z 0-9 . _ @ -')
  if (f.witnesses.length === 0) problems.push('Witnesses: name at least one (a checkpoint no witness cosigned proves nothing)')
  const witnesses = f.witnesses.map((w, i) => {
    const url = w.url.trim()
    const key = w.key.trim()
    if (!/^https?:\/\/[^\s/]+(\/\S*)?$/.test(url) || !URL.canParse(url)) problems.push(`Witness ${i + 1} URL: an http:// or https:// URL`)
    try {
      cosignature.witnessVerifierFromString(key)
    } catch (e) {
      problems.push(`Witness ${i + 1} key: not a cosignature/v1 verifier key (${isProtocolError(e) ? e.message : 'unreadable'}); \`palisade witness serve\` prints it`)
    }
    return { url, key }
  })
  if (new Set(witnesses.map((w) => w.key)).size !== witnesses.length) problems.push('Witnesses: the same key is given twice')
  const quorum = Number(f.quorum.trim())
  if (!Number.isInteger(quorum) || quorum < 1 || quorum > Math.max(witnesses.length, 1)) problems.push(`Witness quorum: a whole number from 1 to ${Math.max(witnesses.length, 1)}`)
  const monitors = f.monitors.split(/\s+/).filter((m) => m !== '')
  monitors.forEach((m, i) => {
    try {
      parseMonitorUrl(m, `monitor ${i + 1}`)
    } catch (e) {
      problems.push(`Monitors: ${isProtocolError(e) ? e.message : 'not a URL'}`)
    }
  })
  let checkpointMaxAgeSeconds: number | null = null
  const hours = f.maxAgeHours.trim()
  if (hours !== '') {
    const s = Math.round(Number(hours) * 3600)
    if (!Number.isFinite(s) || s < CHECKPOINT_MAX_AGE_MIN_SECONDS || s > CHECKPOINT_MAX_AGE_MAX_SECONDS) {
      problems.push(`Checkpoint max age: from ${CHECKPOINT_MAX_AGE_MIN_SECONDS / 3600} to ${CHECKPOINT_MAX_AGE_MAX_SECONDS / 3600} hours, or empty for no staleness alert`)
    } else checkpointMaxAgeSeconds = s
  }
  if (problems.length > 0) throw new SetupFormError(problems)
  return { setupCode, org, keyName, witnesses, quorum, monitors, checkpointMaxAgeSeconds }
}
