/**
 * `palisade people`: the people of the org's directory (docs/WIRE.md
 * "Directory"; needs an API key with `read`, and `directory` or `admin` to change).
 *
 *     palisade people list [--query q] [--status s] [--group g] [--limit n] [--cursor c] [--all]
 *     palisade people add --username u --email e --name n [--status s] [--ssh-key-file f]… [--attr k=v]…
 *     palisade people show <id|username>
 *     palisade people edit <id|username> [--username u] [--name n] [--email e] [--status s]
 *         [--add-ssh-key-file f]… [--remove-ssh-key <fingerprint|comment>]… [--attr k=v]… [--unset-attr k]…
 *     palisade people rm <id|username> [--yes]
 *
 * An edit is made from the version just read and sent with it: if someone
 * else changed the person in between, the server refuses (409) and the
 * command says what they changed, so no edit is lost silently.
 */
import type { Command } from 'commander'
import { integerOption } from '../args/duration.js'
import {
  PERSON_STATUSES,
  attributeOption,
  collect,
  emailOption,
  fileOption,
  referenceArgument,
  textOption,
  unsetAttributeOption,
  usernameOption,
} from '../args/directory-options.js'
import type { CliContext } from '../context.js'
import { CliError, isCliError } from '../errors.js'
import { createPerson, deletePerson, getPerson, listPeople, updatePerson, type Person, type PersonChange } from '../http/directory-api.js'
import { resolveGroup, resolvePerson } from '../http/directory-lookup.js'
import { openOrgSession, type OrgSession } from '../http/session.js'
import { confirmRemoval } from '../io/confirm-removal.js'
import { formatTable, type JsonValue } from '../io/output.js'
import { readSshKeyFile } from '../io/ssh-key-file.js'
import { quote } from '../validate.js'
import { formatPerson, personJson, sshComment, sshFingerprint } from './person-format.js'

interface ListOptions { query?: string; status?: string; group?: string; limit?: number; cursor?: string; all?: boolean }
interface AddOptions { username: string; email: string; name: string; status?: string; sshKeyFile: string[]; attr: Record<string, string> }
interface EditOptions {
  username?: string
  name?: string
  email?: string
  status?: string
  addSshKeyFile: string[]
  removeSshKey: string[]
  attr: Record<string, string>
  unsetAttr: string[]
}

const statusOption = (value: string): string => {
  if (!(PERSON_STATUSES as readonly string[]).includes(value)) throw new CliError('CLI_ARG_INVALID', `invalid --status ${quote(value)}: give ${PERSON_STATUSES.join(' or ')}`)
  return value
}

/** Registers `palisade people` and its subcommands. */
export function register(program: Command, ctx: CliContext): void {
  const people = program.command('people').description('the people of the org directory: list, add, show, edit, rm')

  people
    .command('list')
    .description('list people, by username (one page unless --all)')
    .option('--query <q>', 'only people whose username, email or name contains this (ignoring case)', textOption('--query', 1, 200))
    .option('--status <status>', `only people of this status (${PERSON_STATUSES.join(', ')})`, statusOption)
    .option('--group <group>', 'only members of this user group (id or name)', referenceArgument('--group'))
    .option('--limit <n>', 'people per page (1 to 500, default 100)', integerOption('--limit', 1, 500))
    .option('--cursor <cursor>', 'start at this page (the nextCursor of the previous one)', textOption('--cursor', 1, 1024))
    .option('--all', 'follow nextCursor to the last page')
    .action(async (opts: ListOptions, c: Command) => {
      const inv = ctx.invocation(c)
      const s = await openOrgSession(inv)
      const group = opts.group === undefined ? undefined : (await resolveGroup(s, opts.group, 'user')).id
      const found: Person[] = []
      let cursor = opts.cursor
      let next: string | null
      do {
        const page = await listPeople(s, { q: opts.query, status: opts.status, group }, { limit: opts.limit, cursor })
        found.push(...page.items)
        next = page.nextCursor
        cursor = next ?? undefined
      } while (opts.all === true && next !== null)
      if (next !== null) inv.out.note(`More people follow: --all, or --cursor ${next}`)
      inv.out.result({ people: found.map(personJson), nextCursor: next }, () =>
        found.length === 0
          ? 'No people match.'
          : formatTable(['USERNAME', 'NAME', 'EMAIL', 'STATUS', 'ID'], found.map((p) => [p.username, p.name, p.email, p.status, p.id])),
      )
    })

  people
    .command('add')
    .description('add a person to the directory')
    .requiredOption('--username <username>', 'login name: 1 to 32 of a-z 0-9 . _ -, starting with a letter or _', usernameOption('--username'))
    .requiredOption('--email <email>', 'email address (unique in the org)', emailOption('--email'))
    .requiredOption('--name <name>', 'full name (1 to 200 characters)', textOption('--name', 1, 200))
    .option('--status <status>', `${PERSON_STATUSES.join(' or ')} (default active)`, statusOption)
    .option('--ssh-key-file <file>', 'an OpenSSH public key file, e.g. ~/.ssh/id_ed25519.pub (repeatable)', collect(fileOption('--ssh-key-file')), [])
    .option('--attr <key=value>', 'an attribute (repeatable)', attributeOption, {})
    .action(async (opts: AddOptions, c: Command) => {
      const inv = ctx.invocation(c)
      const sshKeys = await readKeyFiles('--ssh-key-file', opts.sshKeyFile)
      const s = await openOrgSession(inv)
      const p = await createPerson(s, {
        username: opts.username,
        email: opts.email,
        name: opts.name,
        ...(opts.status === undefined ? {} : { status: opts.status }),
        ...(sshKeys.length === 0 ? {} : { sshKeys }),
        ...(Object.keys(opts.attr).length === 0 ? {} : { attributes: opts.attr }),
      })
      inv.out.result(personJson(p), () => `Added ${quote(p.username)} (${p.id}).\n\n` + formatPerson(p))
    })

  people
    .command('show')
    .description('show a person, with their SSH key fingerprints, groups and devices')
    .argument('<person>', 'person id or username', referenceArgument('person'))
    .action(async (ref: string, _opts: unknown, c: Command) => {
      const inv = ctx.invocation(c)
      const p = await resolvePerson(await openOrgSession(inv), ref)
      inv.out.result(
        { ...personJson(p), groups: p.groups.map((g) => ({ ...g })), devices: p.devices.map((d) => ({ ...d })) },
        () =>
          formatPerson(p, [
            ['groups', p.groups.map((g) => g.name).join(', ') || '-'],
            ['devices', p.devices.map((d) => `${d.hostname} (${d.id})`).join(', ') || '-'],
          ]),
      )
    })

  people
    .command('edit')
    .description('change a person (made from the current version: a concurrent edit is refused, never overwritten)')
    .argument('<person>', 'person id or username', referenceArgument('person'))
    .option('--username <username>', 'new login name', usernameOption('--username'))
    .option('--name <name>', 'new full name', textOption('--name', 1, 200))
    .option('--email <email>', 'new email address', emailOption('--email'))
    .option('--status <status>', PERSON_STATUSES.join(' or '), statusOption)
    .option('--add-ssh-key-file <file>', 'add the keys of an OpenSSH public key file (repeatable)', collect(fileOption('--add-ssh-key-file')), [])
    .option('--remove-ssh-key <key>', 'remove a key by its SHA256: fingerprint or its comment (repeatable)', collect(textOption('--remove-ssh-key', 1, 256)), [])
    .option('--attr <key=value>', 'set an attribute (repeatable)', attributeOption, {})
    .option('--unset-attr <key>', 'remove an attribute (repeatable)', unsetAttributeOption, [])
    .action(async (ref: string, opts: EditOptions, c: Command) => {
      const given = [opts.username, opts.name, opts.email, opts.status].some((v) => v !== undefined) ||
        opts.addSshKeyFile.length + opts.removeSshKey.length + opts.unsetAttr.length + Object.keys(opts.attr).length > 0
      if (!given) throw new CliError('CLI_ARG_INVALID', 'nothing to change: give at least one of --username, --name, --email, --status, --add-ssh-key-file, --remove-ssh-key, --attr, --unset-attr')
      const inv = ctx.invocation(c)
      const added = await readKeyFiles('--add-ssh-key-file', opts.addSshKeyFile)
      const s = await openOrgSession(inv)
      const before = await resolvePerson(s, ref)
      const change = personChange(before, opts, added)
      if (Object.keys(change).length === 0) {
        return void inv.out.result(personJson(before), () => `Nothing to change: ${quote(before.username)} already has these values.`)
      }
      const after = await updatePerson(s, before.id, before.version, change).catch((e: unknown) => conflict(s, before, e))
      inv.out.result(personJson(after), () => `Updated ${quote(after.username)} (version ${after.version}).\n\n` + formatPerson(after))
    })

  people
    .command('rm')
    .description('delete a person, their group memberships and device bindings (asks first unless --yes)')
    .argument('<person>', 'person id or username', referenceArgument('person'))
    .option('--yes', 'delete without asking')
    .action(async (ref: string, opts: { yes?: boolean }, c: Command) => {
      const inv = ctx.invocation(c)
      const s = await openOrgSession(inv)
      const p = await resolvePerson(s, ref)
      await confirmRemoval(ctx, `person ${quote(p.username)} (${p.id}), in ${p.groups.length} group(s), bound to ${p.devices.length} device(s)`, opts.yes === true)
      const r = await deletePerson(s, p.id)
      inv.out.result({ id: r.id, username: p.username, deleted: true, memberships: r.memberships, devices: r.devices }, () =>
        `Deleted ${quote(p.username)} (${r.id}): ${r.memberships} membership(s) and ${r.devices} device binding(s) went with them.`,
      )
    })
}

async function readKeyFiles(flag: string, files: readonly string[]): Promise<string[]> {
  const keys: string[] = []
  for (const f of files) keys.push(...(await readSshKeyFile(flag, f)))
  return keys
}

/** The fields of `opts` that differ from `p`, as the PATCH body sends them (keys and attributes whole). */
export function personChange(p: Person, opts: EditOptions, addedKeys: readonly string[]): PersonChange {
  const change: { -readonly [K in keyof PersonChange]: PersonChange[K] } = {}
  if (opts.username !== undefined && opts.username !== p.username) change.username = opts.username
  if (opts.name !== undefined && opts.name !== p.name) change.name = opts.name
  if (opts.email !== undefined && opts.email !== p.email) change.email = opts.email
  if (opts.status !== undefined && opts.status !== p.status) change.status = opts.status
  const keys = removeKeys(p.sshKeys, opts.removeSshKey)
  const blob = (k: string): string => k.split(' ')[1] ?? k
  for (const k of addedKeys) if (!keys.some((x) => blob(x) === blob(k))) keys.push(k)
  if (keys.length !== p.sshKeys.length || keys.some((k, i) => k !== p.sshKeys[i])) change.sshKeys = keys
  const attributes: Record<string, string> = { ...p.attributes, ...opts.attr }
  for (const k of opts.unsetAttr) {
    if (opts.attr[k] !== undefined) throw new CliError('CLI_ARG_INVALID', `--attr and --unset-attr both name ${quote(k)}`)
    if (!(k in attributes)) throw new CliError('CLI_ARG_INVALID', `invalid --unset-attr ${quote(k)}: ${quote(p.username)} has no such attribute`)
    delete attributes[k]
  }
  if (JSON.stringify(Object.entries(attributes).sort()) !== JSON.stringify(Object.entries(p.attributes).sort())) change.attributes = attributes
  return change
}

function removeKeys(keys: readonly string[], selectors: readonly string[]): string[] {
  let left = [...keys]
  for (const sel of selectors) {
    const fp = sel.startsWith('SHA256:') ? sel : `SHA256:${sel}`
    const kept = left.filter((k) => sshFingerprint(k) !== fp && sshComment(k) !== sel)
    if (kept.length === left.length) {
      throw new CliError('CLI_ARG_INVALID', `invalid --remove-ssh-key ${quote(sel)}: no key of the person has this fingerprint or comment`, {
        hint: '`palisade people show <person>` lists the keys with their fingerprints',
      })
    }
    left = kept
  }
  return left
}

/** A 409 SRV_CONFLICT on an edit: say who changed what since `before`, and that nothing was applied. */
async function conflict(s: OrgSession, before: Person, e: unknown): Promise<never> {
  if (!isCliError(e, 'CLI_SERVER_REFUSED') || e.details?.['serverCode'] !== 'SRV_CONFLICT') throw e
  const now = await getPerson(s, before.id)
  const fields = ['username', 'email', 'name', 'status', 'sshKeys', 'attributes'] as const
  const show = (v: JsonValue): string => quote(typeof v === 'string' ? v : JSON.stringify(v), 60)
  const changed = fields
    .filter((f) => JSON.stringify(personJson(before)[f]) !== JSON.stringify(personJson(now)[f]))
    .map((f) => `${f} ${show(personJson(before)[f]!)} → ${show(personJson(now)[f]!)}`)
  throw new CliError('CLI_SERVER_REFUSED', `someone else changed ${quote(before.username)} since version ${before.version} (now version ${now.version})${changed.length === 0 ? '' : `: ${changed.join('; ')}`}; your edit was not applied`, {
    server: s.server,
    cause: e,
    hint: 'check their change with `palisade people show`, then run your edit again: it applies to the current version',
    details: { status: 409, serverCode: 'SRV_CONFLICT', field: '/body/version', currentVersion: now.version },
  })
}
