// Displays that freeze after two days are a known failure of other products. A TV page
// reloads itself when it has heard nothing for a while, and once a day at night, but only
// when the box answers: a reload while the box is unreachable would leave the browser on its
// own error page, which never comes back by itself.
import { useEffect, useRef } from 'react'

export const STALE_AFTER = 10 * 60 * 1000 // no message (update, snapshot or pong) for this long
export const CHECK_EVERY = 15 * 1000
export const DAILY_HOUR = 3 // ~03:00 local time, when nobody watches

/** The first `hour`:00 local time strictly after `fromMs`. */
export function nextDailyReload(fromMs, hour = DAILY_HOUR) {
  const at = new Date(fromMs)
  at.setHours(hour, 0, 0, 0)
  if (at.getTime() <= fromMs) at.setDate(at.getDate() + 1)
  return at.getTime()
}

/**
 * Call `reload()` when `lastHeardRef.current` (ms; null: nothing heard yet, counted from when
 * this started) is older than `staleAfter`, or once the daily time has passed, after `probe()` (a request to the box) has succeeded and the
 * browser does not say it is offline. Fires at most once.
 */
export function useStaleReload({
  lastHeardRef,
  reload,
  probe,
  staleAfter = STALE_AFTER,
  checkEvery = CHECK_EVERY,
  dailyHour = DAILY_HOUR,
}) {
  const latest = useRef({ reload, probe })
  useEffect(() => {
    latest.current = { reload, probe }
  })

  useEffect(() => {
    const startedAt = Date.now()
    let nextDaily = nextDailyReload(startedAt, dailyHour)
    let busy = false
    let done = false
    let stopped = false
    const check = async () => {
      if (busy || done || stopped) return
      const now = Date.now()
      // The TV's clock was set back by more than a day: plan from the new time.
      if (nextDaily - now > 25 * 3600 * 1000) nextDaily = nextDailyReload(now, dailyHour)
      const stale = now - (lastHeardRef.current ?? startedAt) >= staleAfter // nothing yet: since the start
      if (!stale && now < nextDaily) return
      if (globalThis.navigator?.onLine === false) return
      busy = true
      try {
        await latest.current.probe()
      } catch {
        busy = false // the box does not answer: keep the page and try again later
        return
      }
      busy = false
      if (stopped) return
      done = true
      latest.current.reload()
    }
    const timer = setInterval(check, checkEvery)
    return () => {
      stopped = true
      clearInterval(timer)
    }
  }, [lastHeardRef, staleAfter, checkEvery, dailyHour])
}
