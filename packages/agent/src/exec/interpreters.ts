/**
 * The interpreters the agent will start, by name.
 *
 * Guarantees: a command can only name a key of INTERPRETERS; the agent never
 * searches PATH, so neither the command nor a writable directory early in
 * PATH can choose the binary. Each name maps to fixed absolute candidates
 * under /bin and /usr/bin (root-owned on every supported distribution); the
 * first that exists and is executable is used.
 */
import { access, constants } from 'node:fs/promises'
import { AgentError } from '../errors.js'

/** Allowed interpreter names → absolute candidate paths, in order of preference. */
export const INTERPRETERS = Object.freeze({
  sh: Object.freeze(['/bin/sh', '/usr/bin/sh']),
  bash: Object.freeze(['/bin/bash', '/usr/bin/bash']),
  python3: Object.freeze(['/usr/bin/python3', '/bin/python3']),
  perl: Object.freeze(['/usr/bin/perl', '/bin/perl']),
} satisfies Record<string, readonly string[]>)

/** A name the agent knows how to run. */
export type InterpreterName = keyof typeof INTERPRETERS

/** True when `name` is on the allowlist (own keys only: "constructor" is not an interpreter). */
export function isInterpreterName(name: string): name is InterpreterName {
  return Object.hasOwn(INTERPRETERS, name)
}

/**
 * Resolves an interpreter name from a command to the absolute path to run.
 *
 * Errors: AGENT_INTERPRETER_UNKNOWN (not on the allowlist),
 * AGENT_INTERPRETER_MISSING (allowed, but not installed here).
 *
 * @example
 * await resolveInterpreter('bash') // '/bin/bash'
 */
export async function resolveInterpreter(name: string): Promise<string> {
  if (!isInterpreterName(name)) {
    throw new AgentError('AGENT_INTERPRETER_UNKNOWN', `interpreter ${JSON.stringify(name)} is not allowed`, {
      details: { interpreter: name, allowed: Object.keys(INTERPRETERS) },
    })
  }
  for (const candidate of INTERPRETERS[name]) {
    try {
      await access(candidate, constants.X_OK)
      return candidate
    } catch {
      // try the next candidate
    }
  }
  throw new AgentError('AGENT_INTERPRETER_MISSING', `interpreter ${name} is not installed`, {
    details: { interpreter: name, tried: INTERPRETERS[name] },
  })
}
