/**
 * The machine-readable record of a run, for scripts/security-matrix.mjs:
 * when PALISADE_ATTACK_RESULTS names a file, every row is written to it as
 * soon as it is known (so a crash mid-run still leaves the rows so far).
 */
import { writeFileSync } from 'node:fs'
import type { Row } from './run-scenario.js'

export interface RunRecord<R = Row> {
  /** breached-server (rogue gateway vs a real agent) or hostile-clients (hostile devices vs the real server). */
  readonly suite: string
  readonly startedAt: string
  finishedAt: string | null
  durationMs: number | null
  readonly node: string
  readonly rows: R[]
  /** The final sweep: every run file and every local rejection, checked after the last control. */
  sweep: { readonly attackRuns: number; readonly controlRuns: number; readonly rejectionsLogged: number; readonly rejectionsVerified: number } | null
}

export class Results<R = Row> {
  readonly record: RunRecord<R>
  readonly #path: string | undefined
  readonly #t0 = Date.now()

  constructor(path = process.env['PALISADE_ATTACK_RESULTS'], suite = 'breached-server') {
    this.#path = path === '' ? undefined : path
    this.record = { suite, startedAt: new Date().toISOString(), finishedAt: null, durationMs: null, node: process.version, rows: [], sweep: null }
  }

  add(row: R): void {
    this.record.rows.push(row)
    this.#write()
  }

  finish(sweep: RunRecord<R>['sweep']): void {
    this.record.sweep = sweep
    this.record.finishedAt = new Date().toISOString()
    this.record.durationMs = Date.now() - this.#t0
    this.#write()
  }

  #write(): void {
    if (this.#path !== undefined) writeFileSync(this.#path, `${JSON.stringify(this.record, null, 2)}\n`)
  }
}
