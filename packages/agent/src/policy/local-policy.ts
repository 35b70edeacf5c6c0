/**
 * The machine owner's local policy: what this machine allows remote
 * commands to do, whatever the org's admins sign.
 *
 * Guarantees: the policy comes only from a local file (default
 * /etc/palisade/agent-policy.json) that nothing remote writes; it can only
 * narrow what a verified command may do, never widen it. Parsing is strict:
 * an unknown field, a wrong type or an unknown interpreter is refused with
 * AGENT_POLICY_INVALID naming every bad field, because a silently ignored
 * typo ("interpreter" for "interpreters") would leave the machine more open
 * than its owner meant. A file writable by group or others is refused too.
 * A missing file means DEFAULT_LOCAL_POLICY: remote commands on, no further
 * limits beyond the agent's own allowlists.
 *
 * Callers must fail closed: when loadLocalPolicy throws, run no remote command.
 *
 * @example File format
 * { "remoteCommands": true, "interpreters": ["sh", "bash"], "runAs": ["root", "deploy"], "maxTimeoutSeconds": 600 }
 */
import { stat } from 'node:fs/promises'
import { AgentError, isAgentError } from '../errors.js'
import { INTERPRETERS, isInterpreterName, type InterpreterName } from '../exec/interpreters.js'
import { readJsonFile } from '../state/atomic-file.js'

/** A parsed, frozen local policy. An absent list means "no limit beyond the agent's own". */
export interface LocalPolicy {
  readonly remoteCommands: boolean
  readonly interpreters?: readonly InterpreterName[]
  readonly runAs?: readonly string[]
  readonly maxTimeoutSeconds?: number
}

/** What a verified command asks for, as the policy sees it. */
export interface PolicyRequest {
  readonly interpreter: string
  /** The account it would run as; resolve an absent run-as to the agent's own account first. */
  readonly runAs: string
  readonly timeoutSeconds: number
}

/** Why the policy refused; `reason` names every rule the request breaks. */
export interface PolicyRefusal {
  readonly code: 'AGENT_POLICY_FORBIDS'
  readonly reason: string
}

/** Where the agent looks for the policy. */
export const LOCAL_POLICY_PATH = '/etc/palisade/agent-policy.json'
/** The policy used when the file does not exist. */
export const DEFAULT_LOCAL_POLICY: LocalPolicy = Object.freeze({ remoteCommands: true })

const MAX_BYTES = 64 * 1024
const MAX_ENTRIES = 1000
/** The largest timeout the agent can honour (setTimeout's 2^31-1 ms). */
const MAX_TIMEOUT_SECONDS = 2_147_483
const USER_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}\$?$/
const FIELDS = new Set(['remoteCommands', 'interpreters', 'runAs', 'maxTimeoutSeconds'])

/**
 * Parses policy JSON text strictly.
 *
 * @example
 * parseLocalPolicy('{"remoteCommands": false}') // { remoteCommands: false }
 */
export function parseLocalPolicy(text: string, where = 'local policy'): LocalPolicy {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (e) {
    throw new AgentError('AGENT_POLICY_INVALID', `${where} is not valid JSON: ${(e as Error).message}`, { cause: e })
  }
  return localPolicyFromJson(value, where)
}

/** Validates an already-parsed JSON value as a policy; reports every problem at once. */
export function localPolicyFromJson(value: unknown, where = 'local policy'): LocalPolicy {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new AgentError('AGENT_POLICY_INVALID', `${where} must be a JSON object`, { details: { problems: ['(root): not an object'] } })
  }
  const v = { ...(value as Record<string, unknown>) } // snapshot: check and use the same values
  const problems: string[] = Object.keys(v).filter((k) => !FIELDS.has(k)).map((k) => `${JSON.stringify(k)}: unknown field`)
  if (typeof v['remoteCommands'] !== 'boolean') problems.push('remoteCommands: required, must be true or false')
  const list = (field: string, ok: (s: string) => boolean, want: string): string[] | undefined => {
    const a = v[field]
    if (a === undefined) return undefined
    if (!Array.isArray(a) || a.length > MAX_ENTRIES) {
      problems.push(`${field}: must be an array of at most ${MAX_ENTRIES} strings`)
      return undefined
    }
    a.forEach((s, i) => ok(s) || problems.push(`${field}[${i}]: ${JSON.stringify(s)} is not ${want}`))
    return a as string[]
  }
  const interpreters = list('interpreters', (s) => typeof s === 'string' && isInterpreterName(s), `one of ${Object.keys(INTERPRETERS).join(', ')}`)
  const runAs = list('runAs', (s) => typeof s === 'string' && USER_NAME.test(s), 'a user name')
  const max = v['maxTimeoutSeconds']
  if (max !== undefined && (!Number.isSafeInteger(max) || (max as number) < 1 || (max as number) > MAX_TIMEOUT_SECONDS)) {
    problems.push(`maxTimeoutSeconds: must be an integer from 1 to ${MAX_TIMEOUT_SECONDS}`)
  }
  if (problems.length > 0) {
    throw new AgentError('AGENT_POLICY_INVALID', `${where} is invalid: ${problems.join('; ')}`, { details: { problems } })
  }
  return Object.freeze({
    remoteCommands: v['remoteCommands'] as boolean,
    ...(interpreters && { interpreters: Object.freeze([...interpreters] as InterpreterName[]) }),
    ...(runAs && { runAs: Object.freeze([...runAs]) }),
    ...(max !== undefined && { maxTimeoutSeconds: max as number }),
  })
}

/** Formats a policy as the file the owner would write (fixed field order, trailing newline). */
export function formatLocalPolicy(p: LocalPolicy): string {
  const { remoteCommands, interpreters, runAs, maxTimeoutSeconds } = p
  return `${JSON.stringify({ remoteCommands, interpreters, runAs, maxTimeoutSeconds }, null, 2)}\n`
}

/**
 * Loads the policy file; a missing file yields DEFAULT_LOCAL_POLICY. Every
 * other failure (unreadable, too large, bad JSON, bad field, loose
 * permissions) is AGENT_POLICY_INVALID.
 *
 * @example
 * const policy = await loadLocalPolicy()
 */
export async function loadLocalPolicy(path: string = LOCAL_POLICY_PATH): Promise<LocalPolicy> {
  try {
    const { mode } = await stat(path)
    // Like sshd's StrictModes: a policy others can edit protects nothing.
    if ((mode & 0o022) !== 0) {
      throw new AgentError('AGENT_POLICY_INVALID', `${path} is writable by group or others (mode ${(mode & 0o777).toString(8)})`, {
        details: { path },
      })
    }
    return await readJsonFile(path, MAX_BYTES, (v) => localPolicyFromJson(v, path))
  } catch (e) {
    if (isAgentError(e, 'AGENT_FILE_MISSING') || (e as { code?: unknown }).code === 'ENOENT') return DEFAULT_LOCAL_POLICY
    if (isAgentError(e, 'AGENT_POLICY_INVALID')) throw e
    throw new AgentError('AGENT_POLICY_INVALID', `cannot load ${path}: ${(e as Error).message}`, { cause: e, details: { path } })
  }
}

/**
 * Checks a verified command against the policy: null when allowed, else a
 * refusal naming every rule it breaks (to be reported and alerted on, G6).
 *
 * @example
 * checkAgainstPolicy(policy, { interpreter: 'bash', runAs: 'root', timeoutSeconds: 60 })
 */
export function checkAgainstPolicy(policy: LocalPolicy, req: PolicyRequest): PolicyRefusal | null {
  const reasons: string[] = []
  if (!policy.remoteCommands) reasons.push('remote commands are disabled on this machine')
  if (policy.interpreters && !(policy.interpreters as readonly string[]).includes(req.interpreter)) {
    reasons.push(`interpreter ${JSON.stringify(req.interpreter)} is not allowed (allowed: ${policy.interpreters.join(', ') || 'none'})`)
  }
  if (policy.runAs && !policy.runAs.includes(req.runAs)) {
    reasons.push(`running as ${JSON.stringify(req.runAs)} is not allowed (allowed: ${policy.runAs.join(', ') || 'none'})`)
  }
  if (policy.maxTimeoutSeconds !== undefined && !(req.timeoutSeconds <= policy.maxTimeoutSeconds)) {
    reasons.push(`timeout ${req.timeoutSeconds}s exceeds the local maximum of ${policy.maxTimeoutSeconds}s`)
  }
  return reasons.length === 0 ? null : Object.freeze({ code: 'AGENT_POLICY_FORBIDS', reason: reasons.join('; ') })
}
