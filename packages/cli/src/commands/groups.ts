/**
 * `palisade groups`: user groups (people) and device groups (devices) of
 * the org's directory (docs/WIRE.md "Directory"; changes need an API key
 * with `directory` or `admin`).
 *
 *     palisade groups list [--kind user|device] [--query q] [--limit n] [--cursor c] [--all]
 *     palisade groups add --kind user|device --name n [--description d]
 *     palisade groups show <id|name> [--kind k] [--limit n] [--all]
 *     palisade groups edit <id|name> [--kind k] [--name n] [--description d]
 *     palisade groups rm <id|name> [--kind k] [--yes]
 *     palisade groups add-member <group> <member-id>…
 *     palisade groups rm-member <group> <member-id>…
 *
 * Several members are changed in one request, all or nothing: the first id
 * that cannot be added is named and no member is added.
 */
import type { Command } from 'commander'
import { integerOption } from '../args/duration.js'
import { GROUP_KINDS, collect, idArgument, referenceArgument, textOption } from '../args/directory-options.js'
import type { CliContext } from '../context.js'
import { CliError, isCliError } from '../errors.js'
import {
  addMember,
  changeMembers,
  createGroup,
  deleteGroup,
  getGroup,
  listGroups,
  removeMember,
  updateGroup,
  type Group,
  type Member,
  type MemberChange,
} from '../http/directory-api.js'
import { resolveGroup } from '../http/directory-lookup.js'
import { openOrgSession, type OrgSession } from '../http/session.js'
import { confirmRemoval } from '../io/confirm-removal.js'
import { formatFields, formatTable, type JsonValue } from '../io/output.js'
import { quote } from '../validate.js'

const kindOption = (value: string): string => {
  if (!(GROUP_KINDS as readonly string[]).includes(value)) throw new CliError('CLI_ARG_INVALID', `invalid --kind ${quote(value)}: give ${GROUP_KINDS.join(' or ')}`)
  return value
}

const groupJson = (g: Group): { readonly [k: string]: JsonValue } => ({ ...g })
const memberJson = (m: Member): { readonly [k: string]: JsonValue } => ({ ...m })

/** Registers `palisade groups` and its subcommands. */
export function register(program: Command, ctx: CliContext): void {
  const groups = program.command('groups').description('user and device groups of the org directory, and their members')

  groups
    .command('list')
    .description('list groups, by name (one page unless --all)')
    .option('--kind <kind>', 'only user or device groups', kindOption)
    .option('--query <q>', 'only groups whose name contains this (ignoring case)', textOption('--query', 1, 200))
    .option('--limit <n>', 'groups per page (1 to 500, default 100)', integerOption('--limit', 1, 500))
    .option('--cursor <cursor>', 'start at this page (the nextCursor of the previous one)', textOption('--cursor', 1, 1024))
    .option('--all', 'follow nextCursor to the last page')
    .action(async (opts: { kind?: string; query?: string; limit?: number; cursor?: string; all?: boolean }, c: Command) => {
      const inv = ctx.invocation(c)
      const s = await openOrgSession(inv)
      const found: Group[] = []
      let cursor = opts.cursor
      let next: string | null
      do {
        const page = await listGroups(s, { kind: opts.kind, q: opts.query }, { limit: opts.limit, cursor })
        found.push(...page.items)
        next = page.nextCursor
        cursor = next ?? undefined
      } while (opts.all === true && next !== null)
      if (next !== null) inv.out.note(`More groups follow: --all, or --cursor ${next}`)
      inv.out.result({ groups: found.map(groupJson), nextCursor: next }, () =>
        found.length === 0
          ? 'No groups match.'
          : formatTable(['NAME', 'KIND', 'MEMBERS', 'ID'], found.map((g) => [g.name, g.kind, String(g.memberCount), g.id])),
      )
    })

  groups
    .command('add')
    .description('create a group')
    .requiredOption('--kind <kind>', 'user (holds people) or device (holds devices)', kindOption)
    .requiredOption('--name <name>', 'name, unique per kind (1 to 100 characters)', textOption('--name', 1, 100))
    .option('--description <text>', 'what the group is for (up to 1000 characters)', textOption('--description', 0, 1000, true))
    .action(async (opts: { kind: string; name: string; description?: string }, c: Command) => {
      const inv = ctx.invocation(c)
      const g = await createGroup(await openOrgSession(inv), { kind: opts.kind, name: opts.name, ...(opts.description === undefined ? {} : { description: opts.description }) })
      inv.out.result(groupJson(g), () => `Created ${g.kind} group ${quote(g.name)} (${g.id}).`)
    })

  groups
    .command('show')
    .description('show a group and its members')
    .argument('<group>', 'group id or name', referenceArgument('group'))
    .option('--kind <kind>', 'the kind, when a user and a device group share the name', kindOption)
    .option('--limit <n>', 'members per page (1 to 500, default 100)', integerOption('--limit', 1, 500))
    .option('--all', 'every member, following nextCursor')
    .action(async (ref: string, opts: { kind?: string; limit?: number; all?: boolean }, c: Command) => {
      const inv = ctx.invocation(c)
      const s = await openOrgSession(inv)
      const id = (await resolveGroup(s, ref, opts.kind)).id
      let g = await getGroup(s, id, { limit: opts.limit })
      const members = [...g.members]
      while (opts.all === true && g.nextCursor !== null) {
        g = await getGroup(s, id, { limit: opts.limit, cursor: g.nextCursor })
        members.push(...g.members)
      }
      if (g.nextCursor !== null) inv.out.note(`More members follow: --all`)
      inv.out.result({ ...groupJson({ ...g }), members: members.map(memberJson), nextCursor: g.nextCursor }, () =>
        formatFields([
          ['id', g.id],
          ['name', g.name],
          ['kind', g.kind],
          ['description', g.description || '-'],
          ['members', String(g.memberCount)],
          ['version', String(g.version)],
        ]) +
        (members.length === 0
          ? ''
          : '\n' +
            (g.kind === 'user'
              ? formatTable(['USERNAME', 'NAME', 'STATUS', 'ID'], members.map((m) => [m.username ?? '', m.name ?? '', m.status ?? '', m.id]))
              : formatTable(['HOSTNAME', 'OS', 'PERSON', 'ID'], members.map((m) => [m.hostname ?? '', m.os ?? '-', m.personId ?? '-', m.id])))),
      )
    })

  groups
    .command('edit')
    .description('rename a group or change its description (a concurrent edit is refused, never overwritten)')
    .argument('<group>', 'group id or name', referenceArgument('group'))
    .option('--kind <kind>', 'the kind, when a user and a device group share the name', kindOption)
    .option('--name <name>', 'new name', textOption('--name', 1, 100))
    .option('--description <text>', 'new description ("" clears it)', textOption('--description', 0, 1000, true))
    .action(async (ref: string, opts: { kind?: string; name?: string; description?: string }, c: Command) => {
      if (opts.name === undefined && opts.description === undefined) throw new CliError('CLI_ARG_INVALID', 'nothing to change: give --name or --description')
      const inv = ctx.invocation(c)
      const s = await openOrgSession(inv)
      const before = await resolveGroup(s, ref, opts.kind)
      const change = {
        ...(opts.name === undefined || opts.name === before.name ? {} : { name: opts.name }),
        ...(opts.description === undefined || opts.description === before.description ? {} : { description: opts.description }),
      }
      if (Object.keys(change).length === 0) return void inv.out.result(groupJson(before), () => `Nothing to change: ${quote(before.name)} already has these values.`)
      const after = await updateGroup(s, before.id, before.version, change).catch((e: unknown) => conflict(s, before, e))
      inv.out.result(groupJson(after), () => `Updated ${after.kind} group ${quote(after.name)} (version ${after.version}).`)
    })

  groups
    .command('rm')
    .description('delete a group and its memberships (its members stay; asks first unless --yes)')
    .argument('<group>', 'group id or name', referenceArgument('group'))
    .option('--kind <kind>', 'the kind, when a user and a device group share the name', kindOption)
    .option('--yes', 'delete without asking')
    .action(async (ref: string, opts: { kind?: string; yes?: boolean }, c: Command) => {
      const inv = ctx.invocation(c)
      const s = await openOrgSession(inv)
      const g = await resolveGroup(s, ref, opts.kind)
      await confirmRemoval(ctx, `${g.kind} group ${quote(g.name)} (${g.id}) with ${g.memberCount} member(s)`, opts.yes === true)
      const r = await deleteGroup(s, g.id)
      inv.out.result({ id: r.id, name: g.name, deleted: true, memberships: r.memberships }, () => `Deleted ${g.kind} group ${quote(g.name)} (${r.id}) and its ${r.memberships} membership(s).`)
    })

  for (const [name, verb] of [['add-member', 'add'], ['rm-member', 'remove']] as const) {
    groups
      .command(name)
      .description(verb === 'add'
        ? 'add people (to a user group) or devices (to a device group) by id; several at once are all or nothing'
        : 'remove members by id (removing a non-member is harmless)')
      .argument('<group>', 'group id or name', referenceArgument('group'))
      .argument('<member-id...>', 'person or device ids', collect(idArgument('member id')))
      .option('--kind <kind>', 'the kind, when a user and a device group share the name', kindOption)
      .action(async (ref: string, ids: string[], opts: { kind?: string }, c: Command) => {
        const inv = ctx.invocation(c)
        const s = await openOrgSession(inv)
        const g = await resolveGroup(s, ref, opts.kind)
        const r = await changeMany(s, g, verb, [...new Set(ids)])
        inv.out.result({ ...r }, () =>
          verb === 'add'
            ? `Added ${r.added} member(s) to ${quote(g.name)} (${r.memberCount} now).`
            : `Removed ${r.removed} member(s) from ${quote(g.name)} (${r.memberCount} now).`,
        )
      })
  }
}

/** One member: the idempotent PUT/DELETE; several: the bulk route, all or nothing. */
async function changeMany(s: OrgSession, g: Group, verb: 'add' | 'remove', ids: readonly string[]): Promise<MemberChange> {
  if (ids.length === 1) return verb === 'add' ? addMember(s, g.id, ids[0]!) : removeMember(s, g.id, ids[0]!)
  try {
    return await changeMembers(s, g.id, verb === 'add' ? { add: ids } : { remove: ids })
  } catch (e) {
    if (!isCliError(e, 'CLI_SERVER_REFUSED')) throw e
    // the server names the first bad id by index (/body/add/<i>); say which id that is
    const i = /^\/body\/(?:add|remove)\/(\d+)$/.exec(String(e.details?.['field'] ?? ''))?.[1]
    const bad = i === undefined ? undefined : ids[Number(i)]
    throw new CliError('CLI_SERVER_REFUSED', bad === undefined || e.message.includes(bad) ? e.message : `${e.message} (member id ${quote(bad)})`, {
      server: s.server,
      cause: e,
      hint: `nothing was changed (all or nothing): fix or drop ${bad === undefined ? 'the id named above' : quote(bad)} and run the command again`,
      ...(e.details === undefined ? {} : { details: { ...e.details, ...(bad === undefined ? {} : { memberId: bad }) } }),
    })
  }
}

/** A 409 SRV_CONFLICT on an edit: say what changed since `before`. */
async function conflict(s: OrgSession, before: Group, e: unknown): Promise<never> {
  if (!isCliError(e, 'CLI_SERVER_REFUSED') || e.details?.['serverCode'] !== 'SRV_CONFLICT') throw e
  const now = await getGroup(s, before.id, { limit: 1 })
  const changed = (['name', 'description'] as const).filter((f) => before[f] !== now[f]).map((f) => `${f} ${quote(before[f], 60)} → ${quote(now[f], 60)}`)
  throw new CliError('CLI_SERVER_REFUSED', `someone else changed group ${quote(before.name)} since version ${before.version} (now version ${now.version})${changed.length === 0 ? '' : `: ${changed.join('; ')}`}; your edit was not applied`, {
    server: s.server,
    cause: e,
    hint: 'check their change with `palisade groups show`, then run your edit again',
    details: { status: 409, serverCode: 'SRV_CONFLICT', field: '/body/version', currentVersion: now.version },
  })
}
