// A kiosk tap whose request got no answer (the Wi-Fi dropped it) is retried with the same
// Idempotency-Key for RETRY_WINDOW_MS, until the kiosk goes back to the start: the box answers it
// with the ticket it may already have made, instead of making a second one. The box replays a
// key's answer for 24 h, so a later tap (likely another guest) must not get that ticket.
import { useMemo, useRef } from 'react'
import { uuid } from '../../lib/random.js'

export const RETRY_WINDOW_MS = 60 * 1000

export function useRetryKey() {
  const lost = useRef(null) // {key, at, tap}
  return useMemo(
    () => ({
      /** The key for this tap: the lost request's when it is the same tap, in time; else a new one. */
      next(tap = null) {
        const retry = lost.current
        lost.current = null
        return retry && retry.tap === tap && Date.now() - retry.at < RETRY_WINDOW_MS ? retry.key : uuid()
      },
      /** Only a lost answer may be retried; an answer, even an error, is final. */
      failed(err, key, tap = null) {
        if (err?.code === 'offline') lost.current = { key, at: Date.now(), tap }
      },
      forget() {
        lost.current = null
      },
    }),
    [],
  )
}
