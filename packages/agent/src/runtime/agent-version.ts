/** The agent's version, from its package.json, as sent in the hello frame. */
import { readFileSync } from 'node:fs'

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown }
    return typeof pkg.version === 'string' ? pkg.version : 'unknown'
  } catch {
    return 'unknown'
  }
}

/** e.g. '0.1.0' */
export const AGENT_VERSION: string = readVersion()
