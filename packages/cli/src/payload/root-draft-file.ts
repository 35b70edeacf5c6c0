/**
 * Reading and writing root draft files (format: root-draft.ts). The path
 * is one the admin names, so pipes and symlinks are followed; a new draft
 * never replaces an existing file, a signed one replaces its own file
 * atomically.
 */
import { CliError, ioError } from '../errors.js'
import { readFileBounded, writeFileAtomic } from '../io/atomic-file.js'
import { formatRootDraft, parseRootDraft, ROOT_DRAFT_MAX_BYTES, type DraftKinds, type RootDraft } from './root-draft.js'

/**
 * Reads and checks the draft at `path` (CLI_ROOT_DRAFT_INVALID, CLI_IO);
 * a rotation draft only with `kinds` 'any'.
 */
export async function readRootDraftFile(path: string, kinds: DraftKinds = 'v1'): Promise<RootDraft> {
  const raw = await readFileBounded(path, ROOT_DRAFT_MAX_BYTES, {
    onInvalid: (why) => new CliError('CLI_ROOT_DRAFT_INVALID', `cannot use root draft ${path}: ${why}`, { details: { path } }),
    allowSpecial: true,
  })
  if (raw === undefined) throw new CliError('CLI_IO', `no root draft at ${path}`, { details: { path } })
  return parseRootDraft(new Uint8Array(raw), path, kinds)
}

/** Writes `draft` to `path`; `replace` says whether an existing file may be replaced. */
export async function writeRootDraftFile(path: string, draft: RootDraft, replace: boolean): Promise<void> {
  try {
    await writeFileAtomic(path, formatRootDraft(draft), { overwrite: replace, mode: 0o644 })
  } catch (e) {
    if ((e as { code?: unknown }).code === 'EEXIST') {
      throw new CliError('CLI_IO', `${path} already exists; a draft never replaces a file`, { hint: 'choose another --out path, or move the file away', details: { path } })
    }
    throw ioError('write', path, e)
  }
}
