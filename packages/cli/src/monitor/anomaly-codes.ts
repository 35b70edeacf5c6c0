/**
 * What `palisade monitor` flags. Each code names one sign that the server,
 * an admin key or a device is not behaving as the org expects (DESIGN.md
 * G2, G4, G6). Codes are API: `--json` prints them, alerting rules match
 * them, and they keep their meaning.
 */
export const MONITOR_ANOMALY_CODES = {
  MON_NEW_SIGNER: 'an admin key signed a command for the first time since this monitor started following the log',
  MON_FEW_TARGETS: 'a command targets fewer than the set fraction of the enrolled devices (at least 10, as the server counts them)',
  MON_REJECTION: 'a device reported a rejection or an alert (read from a witness, or received on --listen)',
  MON_FORK: 'a checkpoint is inconsistent with the last one seen, or with a witness\'s checkpoint of the same size, or the log shrank',
  MON_STALE: 'no new cosignature on the log for longer than --stale-after',
  MON_BAD_SIGNATURE: 'a root, checkpoint, command or report does not carry the signatures it must: the server lied',
  MON_BAD_PROOF: 'entries or proofs the server served do not match the cosigned checkpoint: the server lied',
  MON_ROOT_STALE: 'the checkpoint\'s root line names a root the server does not serve (or the server serves fewer roots than before)',
  MON_WITNESS_AHEAD: 'a witness serves a verified checkpoint larger than the one the server serves: the server hides newer checkpoints',
  MON_REPORT_GAP: 'a witness\'s device report sequence skips numbers: reports were lost or removed before this monitor read them',
  MON_DEVICE_KEY_CHANGED: 'the server lists another public key for a device than the one this monitor first saw (pinned): a report checked against it proves nothing',
} as const

export type MonitorAnomalyCode = keyof typeof MONITOR_ANOMALY_CODES

/** The process exit status of `palisade monitor --once` when it saw any anomaly. */
export const ANOMALY_EXIT = 3
