/**
 * Decides which local account a script runs as.
 *
 * Guarantees: an agent running as root switches to the requested account only
 * if /etc/passwd names it; an agent running as anyone else never pretends to
 * switch: it accepts only its own account (or no request) and refuses every
 * other one with AGENT_RUNAS_FORBIDDEN instead of silently running the script
 * with the wrong identity.
 */
import { userInfo } from 'node:os'
import { AgentError } from '../errors.js'
import { findUser, PASSWD_PATH, readPasswd, type PasswdEntry } from '../system/passwd.js'

/** The account a script will run as. `uid`/`gid` are set only when the process must switch. */
export interface RunAsIdentity {
  readonly user: string
  readonly home: string
  readonly uid?: number
  readonly gid?: number
}

/** What the decision depends on; injectable so tests can act as a non-root agent. */
export interface RunAsContext {
  readonly uid: number
  readonly passwdPath: string
}

/** The running process, as seen by resolveRunAs. */
export function currentRunAsContext(): RunAsContext {
  // process.getuid is absent only on Windows, which the agent does not support;
  // -1 then matches no account and every run-as request is refused.
  return { uid: process.getuid?.() ?? -1, passwdPath: PASSWD_PATH }
}

/**
 * Resolves a run-as request (a user name, or undefined for "as the agent").
 *
 * Errors: AGENT_RUNAS_UNKNOWN (root agent, user not in passwd),
 * AGENT_RUNAS_FORBIDDEN (non-root agent asked for another user).
 *
 * @example
 * await resolveRunAs('nobody') // { user: 'nobody', home: '/nonexistent', uid: 65534, gid: 65534 }
 */
export async function resolveRunAs(
  runAs: string | undefined,
  ctx: RunAsContext = currentRunAsContext(),
): Promise<RunAsIdentity> {
  const entries = (await readPasswd(ctx.passwdPath)) ?? []
  const self = findUser(entries, ctx.uid) ?? selfFromOs(ctx.uid)
  if (runAs === undefined || runAs === self?.name) {
    return { user: self?.name ?? String(ctx.uid), home: self?.home ?? '/' }
  }
  if (ctx.uid !== 0) {
    throw new AgentError(
      'AGENT_RUNAS_FORBIDDEN',
      `the agent runs as ${self?.name ?? `uid ${ctx.uid}`} and cannot run a script as ${JSON.stringify(runAs)}`,
      { details: { runAs, agentUid: ctx.uid } },
    )
  }
  const target = findUser(entries, runAs)
  if (target === undefined) {
    throw new AgentError('AGENT_RUNAS_UNKNOWN', `user ${JSON.stringify(runAs)} is not in ${ctx.passwdPath}`, {
      details: { runAs },
    })
  }
  // Root asking for another uid-0 name (e.g. "toor") needs no switch either.
  if (target.uid === 0) return { user: target.name, home: target.home }
  return { user: target.name, home: target.home, uid: target.uid, gid: target.gid }
}

/** Falls back to getpwuid(3) (which may consult NSS) only to name the agent's own account. */
function selfFromOs(uid: number): Pick<PasswdEntry, 'name' | 'home'> | undefined {
  try {
    const info = userInfo()
    return info.uid === uid ? { name: info.username, home: info.homedir } : undefined
  } catch {
    return undefined
  }
}
