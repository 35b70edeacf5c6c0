/**
 * A button in a row that changes something on the server: asks first when
 * told to, runs through the page's {@link useAction} (busy state, error in
 * the page's error box), and reloads the list when it worked.
 */
import type { ReactNode } from 'react'
import type { Action } from './use-action'

/**
 * @example
 * <RowAction action={action} danger confirm={`Revoke key ${k.name}?`} run={() => api('DELETE', url)} then={keys.reload}>Revoke</RowAction>
 */
export function RowAction(props: {
  action: Action
  run: () => Promise<unknown>
  then?: () => void
  confirm?: string
  danger?: boolean
  label?: string
  children: ReactNode
}) {
  const onClick = (): void => {
    if (props.confirm !== undefined && !confirm(props.confirm)) return
    void props.action.run(props.run).then((ok) => {
      if (ok) props.then?.()
    })
  }
  return (
    <button type="button" className={props.danger === true ? 'small danger' : 'small'} disabled={props.action.busy} onClick={onClick} aria-label={props.label}>
      {props.children}
    </button>
  )
}
