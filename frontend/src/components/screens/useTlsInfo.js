import { useEffect, useState } from 'react'

/** GET /api/tls: `{staff_url, public_url, ca_url, staff_https}`, or null until known (or on an older box). */
export function useTlsInfo(fetchImpl = globalThis.fetch) {
  const [info, setInfo] = useState(null)
  useEffect(() => {
    let live = true
    fetchImpl('/api/tls', { cache: 'no-store' })
      .then((answer) => (answer.ok ? answer.json() : null))
      .then((body) => live && body && typeof body.staff_url === 'string' && setInfo(body))
      .catch(() => {}) // the page works without it: links then use this page's own address
    return () => {
      live = false
    }
  }, [fetchImpl])
  return info
}
