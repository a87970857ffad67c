// A kiosk's own device row (GET /api/device with its token): which services it covers. Loaded at
// start and again every DEVICE_REFRESH_MS, so a change made in setup reaches the kiosk within a
// minute; a failure that may pass (the box starting, the Wi-Fi back) is retried sooner.
import { useEffect, useState } from 'react'

export const DEVICE_REFRESH_MS = 60 * 1000
export const DEVICE_RETRY_MS = 10 * 1000

export function useDevice(api, token) {
  const [device, setDevice] = useState(null)
  const [error, setError] = useState(null)
  useEffect(() => {
    if (!token) return undefined
    let live = true
    let timer = null
    const load = () => {
      api.getDevice().then(
        (answer) => {
          if (!live) return
          setDevice(answer)
          setError(null)
          timer = setTimeout(load, DEVICE_REFRESH_MS)
        },
        (err) => {
          if (!live) return
          setError(err)
          // a failure that may pass: the Wi-Fi, the box starting, its rate limit (429)
          if (err?.code === 'offline' || err?.status === 429 || err?.status >= 500) timer = setTimeout(load, DEVICE_RETRY_MS)
        },
      )
    }
    load()
    return () => {
      live = false
      clearTimeout(timer)
    }
  }, [api, token])
  return { device, error }
}
