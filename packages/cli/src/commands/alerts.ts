/**
 * `palisade alerts`: what agents reported as refused (G6). A rejected
 * command is the strongest sign that the server is compromised, so every
 * alert is listed, newest first.
 *
 *     palisade alerts
 */
import type { Command } from 'commander'
import type { CliContext } from '../context.js'
import { listAlerts } from '../http/org-api.js'
import { openOrgSession } from '../http/session.js'
import { formatTable } from '../io/output.js'

/** Registers `palisade alerts`. */
export function register(program: Command, ctx: CliContext): void {
  program
    .command('alerts')
    .description('list the alerts of the org (commands devices refused, and why)')
    .action(async (_opts: unknown, cmd: Command) => {
      const inv = ctx.invocation(cmd)
      const alerts = (await listAlerts(await openOrgSession(inv))).sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0))
      inv.out.result({ alerts: alerts.map((a) => ({ ...a })) }, () =>
        alerts.length === 0
          ? 'No alerts.'
          : formatTable(
              ['TIME', 'DEVICE', 'CODE', 'COMMAND', 'MESSAGE'],
              alerts.map((a) => [a.createdAt === null ? '-' : new Date(a.createdAt).toISOString(), a.deviceId ?? '-', a.code, a.commandId ?? '-', a.message.replace(/\s+/g, ' ').slice(0, 200)]),
            ),
      )
    })
}
