import { useState } from 'react'
import { errorText } from '../../lib/strings.js'

/**
 * The state of an admin form that sends something: returns {busy, problems, failure, send}.
 * `send(found, work, failureText)` shows `found` (field → problem) and sends nothing while
 * there is any; else it runs `work()` with `busy` set, and a failure becomes
 * `failureText(err)` (the shared wording unless told), unless `onRejected(err)` took it.
 */
export function useSend(onRejected) {
  const [busy, setBusy] = useState(false)
  const [problems, setProblems] = useState({})
  const [failure, setFailure] = useState(null)

  async function send(found, work, failureText = errorText) {
    setProblems(found)
    setFailure(null)
    if (Object.keys(found).length) return
    setBusy(true)
    try {
      await work()
    } catch (err) {
      if (!onRejected(err)) setFailure(failureText(err))
    } finally {
      setBusy(false)
    }
  }

  return { busy, problems, failure, send }
}
