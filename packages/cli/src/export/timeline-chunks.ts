/**
 * Merges the server's audit trail (already oldest first) with the log's
 * signed actions (sorted, in memory: the log is downloaded whole to be
 * verified anyway) into one timeline, formatted. At equal times the log's
 * line comes first: a command is signed before the server records it
 * being uploaded.
 */
import type { TextSink } from '../io/output.js'
import type { TimelineFormatter, TimelineLine } from './timeline-format.js'

/** What was written. */
export interface TimelineCount {
  audit: number
  log: number
}

/**
 * The formatted text of the merged timeline, chunk by chunk; `count` is
 * filled in as lines go out.
 *
 * @example
 * for await (const chunk of timelineChunks(auditTimeline(s, q), logLines, timelineFormatter('jsonl'), count)) sink.write(chunk)
 */
export async function* timelineChunks(
  audit: AsyncIterable<TimelineLine>,
  log: readonly TimelineLine[],
  format: TimelineFormatter,
  count: TimelineCount,
): AsyncGenerator<string> {
  yield format.begin()
  let next = 0
  for await (const line of audit) {
    while (next < log.length && log[next]!.time <= line.time) {
      count.log++
      yield format.line(log[next++]!)
    }
    count.audit++
    yield format.line(line)
  }
  while (next < log.length) {
    count.log++
    yield format.line(log[next++]!)
  }
  yield format.end()
}

/** The slice of a Node stream used for backpressure, when the sink has it. */
interface Drainable {
  once(event: 'drain', listener: () => void): unknown
}

/**
 * Writes chunks to a text sink (stdout), waiting for `drain` when a Node
 * stream asks for it, so a slow pipe never makes the CLI buffer the export.
 *
 * @example
 * await writeChunks(process.stdout, chunks)
 */
export async function writeChunks(sink: TextSink, chunks: AsyncIterable<string>): Promise<void> {
  for await (const chunk of chunks) {
    if (chunk === '') continue
    if (sink.write(chunk) === false && typeof (sink as Partial<Drainable>).once === 'function') {
      await new Promise<void>((resolve) => (sink as unknown as Drainable).once('drain', resolve))
    }
  }
}
