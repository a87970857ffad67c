// The box's services with their waits (GET /api/services), for the pages where a guest chooses
// one: asked once at once and then every `refreshMs`, so the waits on the buttons stay honest.
import { useEffect, useState } from 'react'
import { listServices } from '../lib/api.js'

export const SERVICES_REFRESH_MS = 15000

/**
 * {services, updatedAt, error}: services is null until the first answer, then the last list the
 * box gave (kept while it cannot be reached; `error` then says why). `updatedAt` is when that
 * list came (ms), the moment its `eta_seconds` count down from.
 */
export function useServices({ refreshMs = SERVICES_REFRESH_MS, enabled = true } = {}) {
  const [view, setView] = useState({ services: null, updatedAt: null, error: null })
  useEffect(() => {
    if (!enabled) return undefined
    let live = true
    const load = () =>
      listServices().then(
        (answer) => {
          if (!live) return
          const services = Array.isArray(answer?.services) ? answer.services.filter((s) => s && s.active !== false) : []
          setView({ services, updatedAt: Date.now(), error: null })
        },
        (error) => {
          if (live) setView((v) => ({ ...v, error }))
        },
      )
    load()
    const timer = refreshMs ? setInterval(load, refreshMs) : null
    return () => {
      live = false
      if (timer) clearInterval(timer)
    }
  }, [refreshMs, enabled])
  return view
}
