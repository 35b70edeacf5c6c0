/**
 * `palisade devices …`: the org's enrolled devices, as the server knows them.
 *
 *     palisade devices list
 *     palisade devices show <id>
 *     palisade devices assign <device-id> <person-id|username>
 *     palisade devices unassign <device-id>
 *
 * What is shown is the server's bookkeeping and the devices' own inventory
 * reports; nothing here is a trust decision.
 */
import type { Command } from 'commander'
import { ID_RE } from '@palisade/protocol'
import type { CliContext } from '../context.js'
import { CliError } from '../errors.js'
import { referenceArgument } from '../args/directory-options.js'
import { bindDevice } from '../http/directory-api.js'
import { resolvePerson } from '../http/directory-lookup.js'
import { getDevice, listDevices } from '../http/org-api.js'
import { openOrgSession } from '../http/session.js'
import { formatFields, formatTable } from '../io/output.js'
import { inventoryRows, osName } from '../report/device-inventory.js'
import { quote } from '../validate.js'

/** Registers `palisade devices` and its subcommands. */
export function register(program: Command, ctx: CliContext): void {
  const devices = program.command('devices').description('the enrolled devices of the org')

  devices
    .command('list')
    .description('list the devices')
    .action(async (_opts: unknown, cmd: Command) => {
      const inv = ctx.invocation(cmd)
      const list = await listDevices(await openOrgSession(inv))
      inv.out.result({ devices: list.map((d) => ({ ...d })) }, () =>
        list.length === 0
          ? 'No devices yet. `palisade token create` prints the command that enrolls one.'
          : formatTable(
              ['ID', 'HOSTNAME', 'OS', 'ONLINE', 'LAST SEEN'],
              list.map((d) => [d.id, d.hostname, osName(d.os), d.online ? 'yes' : 'no', time(d.lastSeenAt)]),
            ),
      )
    })

  devices
    .command('show')
    .description('show a device and a summary of its inventory')
    .argument('<id>', 'the device id', parseDeviceId)
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const inv = ctx.invocation(cmd)
      const d = await getDevice(await openOrgSession(inv), id)
      inv.out.result({ ...d }, () =>
        formatFields([
          ['id', d.id],
          ['hostname', d.hostname],
          ['online', d.online ? 'yes' : 'no'],
          ['enrolled', time(d.enrolledAt)],
          ['last seen', time(d.lastSeenAt)],
          ['public key', d.publicKey || '-'],
          ['inventory at', time(d.inventoryAt)],
          ...inventoryRows(d.inventory),
        ]),
      )
    })

  devices
    .command('assign')
    .description('bind a device to the person who uses it (needs the `devices` or `admin` scope)')
    .argument('<device-id>', 'the device id', parseDeviceId)
    .argument('<person>', 'person id or username', referenceArgument('person'))
    .action(async (deviceId: string, ref: string, _opts: unknown, cmd: Command) => {
      const inv = ctx.invocation(cmd)
      const s = await openOrgSession(inv)
      const person = await resolvePerson(s, ref)
      const b = await bindDevice(s, deviceId, person.id)
      inv.out.result({ deviceId: b.deviceId, personId: b.personId, username: person.username }, () => `Device ${b.deviceId} is now bound to ${quote(person.username)} (${person.id}).`)
    })

  devices
    .command('unassign')
    .description('unbind a device from its person (harmless when it has none)')
    .argument('<device-id>', 'the device id', parseDeviceId)
    .action(async (deviceId: string, _opts: unknown, cmd: Command) => {
      const inv = ctx.invocation(cmd)
      const b = await bindDevice(await openOrgSession(inv), deviceId, null)
      inv.out.result({ deviceId: b.deviceId, personId: null }, () => `Device ${b.deviceId} is bound to nobody.`)
    })
}

function time(ms: number | null): string {
  return ms === null ? '-' : new Date(ms).toISOString()
}

function parseDeviceId(value: string): string {
  if (!ID_RE.test(value)) throw new CliError('CLI_ARG_INVALID', `invalid device id ${quote(value)}`, { hint: 'the ids are listed by `palisade devices list`' })
  return value
}
