import { useEffect, useLayoutEffect, useState } from 'react'
import { useHostChannel } from '../../hooks/useHostChannel.js'

// After a change, wait this long for more before asking the box for the call order again (a
// burst of joins is one request, not one each).
const ORDER_SETTLE_MS = 150

/**
 * One service's live host channel (/ws/host/{queue_id}, REST while it is down) for a counter's
 * desk, and the service's call order (`?order=call`), asked again whenever its tickets change.
 * Draws nothing: it reports {state, connection, updatedAt, error, authFailed, order, refresh} to
 * `onChange(queueId, feed)`. (Until the box has one socket for all of a token's services, the
 * desk opens one of these per service.)
 */
export default function ServiceFeed({ queueId, token, deskApi, onChange, onAccepted }) {
  const channel = useHostChannel(queueId, token, onAccepted)
  const { state, connection, updatedAt, error, authFailed, refresh } = channel
  const [order, setOrder] = useState(null)
  const tickets = state?.tickets

  useEffect(() => {
    if (!tickets) return undefined
    let stop = false
    const timer = setTimeout(async () => {
      try {
        const rows = await deskApi.callOrder(queueId)
        if (!stop) setOrder(rows.filter((row) => row.status === 'WAITING').map((row) => row.id))
      } catch {
        // the live rows are still shown, priority first; the next change asks again
      }
    }, ORDER_SETTLE_MS)
    return () => {
      stop = true
      clearTimeout(timer)
    }
  }, [tickets, deskApi, queueId])

  useLayoutEffect(() => {
    onChange(queueId, { state, connection, updatedAt, error, authFailed, order, refresh })
  }, [onChange, queueId, state, connection, updatedAt, error, authFailed, order, refresh])
  return null
}
