// The host page's data: the live host channel (token in the first message), with REST
// refreshes while it is down, and whether the box refused the token.
import { useCallback, useLayoutEffect, useMemo, useRef, useState } from 'react'
import { hostPayload, mergeHost } from '../components/host/hostDelta.js'
import { createHostApi } from '../lib/hostApi.js'
import { useLatest } from './useLatest.js'
import { useWebSocket } from './useWebSocket.js'

export const isAuthError = (err) => err?.status === 401 || err?.status === 403
// A refused staff token over plain http (QODE_STAFF_HTTPS) is 403 too, but the token may be fine.
const authFailure = (err) => (err?.code === 'https_required' ? 'https' : true)

/**
 * Returns the channel's {state, connection, updatedAt, error, replace} and: `api` (the host
 * API with this token), `authFailed` (false, true, or "https"), `failAuth(err)`, `refresh()`
 * (a REST reload into the state), `latest` (a ref to the last committed {state, connection,
 * updatedAt}, for handlers) and `accepted` (a ref to `onAccepted`: call it when the box has
 * accepted the token).
 */
export function useHostChannel(queueId, token, onAccepted) {
  const api = useMemo(() => createHostApi(queueId, token), [queueId, token])
  const [authFailed, setAuthFailed] = useState(false)
  const accepted = useLatest(onAccepted)
  // The last committed channel state. A REST refresh keeps what it cannot get itself from it:
  // the devices (an older box has no list), the hub sync status (healthz has it, on newer
  // boxes) and the joins refused today (only the live channel has them).
  const latest = useRef({ state: null, connection: 'connecting', updatedAt: null })
  const failAuth = useCallback((err) => setAuthFailed(authFailure(err)), [])

  const load = useCallback(async () => {
    const [tickets, queue, health, devices] = await Promise.allSettled([api.listTickets(), api.getQueue(), api.health(), api.listDevices()])
    if (tickets.status === 'fulfilled') accepted.current() // the ticket list needs the token
    for (const part of [tickets, queue]) {
      if (part.status === 'rejected') {
        if (isAuthError(part.reason)) failAuth(part.reason)
        throw part.reason
      }
    }
    const known = latest.current.state
    const out = { queue: queue.value, tickets: tickets.value, clock: health.status === 'fulfilled' ? (health.value?.clock ?? null) : null }
    const knownDevices = devices.status === 'fulfilled' ? devices.value : known?.devices
    if (knownDevices) out.devices = knownDevices
    const sync = health.status === 'fulfilled' && health.value?.sync ? health.value.sync : known?.sync
    if (sync) out.sync = sync
    if (health.status === 'fulfilled' && health.value?.storage) out.storage = health.value.storage
    else if (health.status === 'rejected' && health.reason?.body?.storage) out.storage = health.reason.body.storage
    if (known?.refused) out.refused = known.refused
    if (known?.sms) out.sms = known.sms // issue 16: only the live channel has the modem's health
    if (health.status === 'fulfilled' && typeof health.value?.version === 'string') out.version = health.value.version
    return out
  }, [api, accepted, failAuth])

  const onMessage = useCallback(() => accepted.current(), [accepted])
  const channel = useWebSocket(
    authFailed ? null : `/ws/host/${encodeURIComponent(queueId)}`,
    // The host channel sends nothing before it accepts the auth message.
    { authToken: token, select: hostPayload, merge: mergeHost, fallback: load, onMessage },
  )
  const { state, connection, updatedAt, replace } = channel
  useLayoutEffect(() => {
    latest.current = { state, connection, updatedAt }
  }, [state, connection, updatedAt])

  const refresh = useCallback(async () => {
    try {
      replace(await load())
    } catch {
      // offline or refused: the live channel and its fallback keep trying
    }
  }, [load, replace])

  return { ...channel, api, authFailed, failAuth, refresh, latest, accepted }
}
