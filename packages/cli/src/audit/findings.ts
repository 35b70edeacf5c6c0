/**
 * What a log audit can find wrong. Each code names one broken promise of
 * the log (DESIGN.md G2–G4); codes are API (`palisade log audit --json`
 * prints them) and keep their meaning.
 */

export const AUDIT_FINDING_CODES = {
  AUDIT_ANCHOR: 'entry 0 is not root v1 with the pinned fingerprint, signed by its own root threshold',
  AUDIT_ENTRY_INDEX: 'the server served entries out of order, with gaps, or with wrong indices',
  AUDIT_ENTRY_INVALID: 'an entry is not a well-formed root or command envelope of this org, or is labelled as another kind',
  AUDIT_ROOT_CHAIN: 'a root entry is not the next version signed by the root thresholds of the old and the new version',
  AUDIT_COMMAND_SIGNATURES: 'a command entry lacks the command threshold of admin signatures of the root in force',
  AUDIT_CHECKPOINT_SIGNATURE: 'a checkpoint is not signed by the log key, names another log, or lacks the witness quorum',
  AUDIT_CHECKPOINT_ORDER: 'checkpoints go backwards (a later one is smaller) or are listed under another size',
  AUDIT_CHECKPOINT_INCONSISTENT: 'a checkpoint\'s root hash is not the root of the downloaded entries: history was rewritten or forked',
  AUDIT_CHECKPOINT_BEYOND_LOG: 'a checkpoint covers more entries than the server served: entries are withheld',
  AUDIT_UNCOVERED: 'entries exist that no cosigned checkpoint covers',
  AUDIT_NO_CHECKPOINT: 'the server published no verifiable checkpoint',
  AUDIT_ROOTS_MISMATCH: 'the roots the server serves are not the roots in its log',
} as const

export type AuditFindingCode = keyof typeof AUDIT_FINDING_CODES

/** One failure, with where it is. */
export interface AuditFinding {
  readonly code: AuditFindingCode
  readonly message: string
  /** The entry it concerns. */
  readonly index?: number
  /** The checkpoint size it concerns. */
  readonly size?: number
  /** The protocol error code behind it, when there is one. */
  readonly cause?: string
}

/** Findings beyond this many are counted, not kept: a hostile log must not buy a huge report. */
export const MAX_FINDINGS = 1000

/** Collects findings up to MAX_FINDINGS. */
export class FindingList {
  readonly items: AuditFinding[] = []
  dropped = 0

  add(finding: AuditFinding): void {
    if (this.items.length < MAX_FINDINGS) this.items.push(Object.freeze(finding))
    else this.dropped++
  }

  get count(): number {
    return this.items.length + this.dropped
  }
}
