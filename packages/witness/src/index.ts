/**
 * @palisade/witness — a cosigning witness for Palisade's (and any C2SP)
 * transparency logs: c2sp.org/tlog-witness over HTTP, c2sp.org/tlog-cosignature
 * cosignatures. It keeps the latest checkpoint of each log it witnesses and
 * cosigns a new one only if it provably extends it, so a log (or a breached
 * Palisade server) cannot show two histories to the world with its help.
 */
export { startWitness, parseListen, type WitnessOptions, type RunningWitness } from './witness.js'
export { witnessIdentity, addWitnessedLog, witnessedLogs, pruneWitnessReports, type WitnessIdentity, type PrunedReports } from './admin.js'
export { DEFAULT_DATA_DIR } from './store/data-dir.js'
export { defaultWitnessName } from './store/witness-key.js'
export {
  parseAddCheckpointRequest,
  formatAddCheckpointRequest,
  MAX_PROOF_LINES,
  type AddCheckpointRequest,
} from './request/add-checkpoint-request.js'
export { judgeAddCheckpoint, emptyHead, type Judgement, type StoredHead } from './request/judge.js'
export { BODY_LIMIT, SIZE_CONTENT_TYPE, type LoggerOption } from './http/app.js'
export {
  type WitnessEvent,
  type CosignedEvent,
  type RefusedEvent,
  type RootVerifiedEvent,
  type ReportEvent,
  type ReportsStoreFullEvent,
  type WebhookOptions,
} from './notify/webhook.js'
export { parseReportBody, ALERT_PAYLOAD_TYPE, REPORT_BODY_LIMIT, type ReportBody } from './report/report-body.js'
export { MAX_REPORTS_PAGE, DEFAULT_REPORTS_PAGE, type ServedReport } from './report/report-intake.js'
export { type RateLimitOptions } from './http/rate-limiter.js'
export {
  WitnessError,
  isWitnessError,
  WITNESS_ERROR_CODES,
  REFUSAL_STATUS,
  type WitnessErrorCode,
  type RefusalCode,
} from './errors.js'
