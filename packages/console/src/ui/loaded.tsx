/**
 * The states every loaded section goes through, in one place: the error
 * (of the load, or of an action on the page), a busy line while the first
 * load runs, the empty state saying what to do next, else the content.
 * Reloads (live updates) keep showing the previous data: no flicker.
 */
import type { ReactNode } from 'react'
import { Busy, ErrorBox } from './parts'
import type { AsyncState } from './use-async'

/**
 * @example
 * <Loaded state={alerts} empty={(a) => a.length === 0 && <Empty title="No alerts." />}>
 *   {(a) => <DataTable rows={a} … />}
 * </Loaded>
 */
export function Loaded<T>(props: {
  state: AsyncState<T>
  /** An error of something else on the page (an action), shown in the same place. */
  error?: unknown
  /** What to show instead of the content when the data is empty (falsy: not empty). */
  empty?: (data: T) => ReactNode
  busyLabel?: string
  children: (data: T) => ReactNode
}) {
  const { state } = props
  const data = state.data
  const empty = data === undefined || props.empty === undefined ? undefined : props.empty(data)
  return (
    <>
      <ErrorBox error={state.error ?? props.error} />
      {state.loading && data === undefined ? <Busy {...(props.busyLabel === undefined ? {} : { label: props.busyLabel })} /> : null}
      {data === undefined ? null : empty ? empty : props.children(data)}
    </>
  )
}
