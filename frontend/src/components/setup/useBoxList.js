// A setup section's list from the box (counters, staff links): `ask()` answers `{[key]: [...]}`.
// Asked once (again if `ask` changes); a refusal `onRejected` takes (the admin token) is left to it.
import { useCallback, useEffect, useState } from 'react'

export function useBoxList(ask, key, onRejected) {
  const [state, setState] = useState({ status: 'loading', list: [], error: null })
  useEffect(() => {
    let live = true
    ask().then(
      (answer) => {
        if (live) setState({ status: 'ready', list: Array.isArray(answer?.[key]) ? answer[key] : [], error: null })
      },
      (err) => {
        if (live && !onRejected(err)) setState((s) => ({ ...s, status: 'error', error: err }))
      },
    )
    return () => {
      live = false
    }
  }, [ask, key, onRejected])
  /** Changes the list as shown (`change(list)` → the new list), after a save or a revoke. */
  const setList = useCallback((change) => setState((s) => ({ ...s, list: change(s.list) })), [])
  return [state, setList]
}
