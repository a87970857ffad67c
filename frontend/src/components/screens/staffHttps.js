// The staff-https check (StaffHttpsGate.jsx says why): may a staff page send its token from here?
import { useEffect, useState } from 'react'

const TLS_TIMEOUT_MS = 5000
const REFUSING = new Set(['remote', 'all'])

/** 127.0.0.0/8, ::1 or localhost: the box itself, whose plain http the box trusts. */
export function isLoopback(hostname) {
  const host = String(hostname ?? '').toLowerCase().replace(/^\[|\]$/g, '')
  if (host === 'localhost' || host === '::1') return true
  const parts = host.split('.')
  return parts.length === 4 && parts[0] === '127' && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) < 256)
}

/** Where each staff page keeps its token (the keys of hostApi.js, screensApi.js and hubApi.js). */
export function staffTokenKey(route) {
  if (route.page === 'host') return route.queueId ? `qode.host.${route.queueId}.token` : 'qode.hostDesk.token' // hostApi.js DESK_TOKEN_KEY
  if (route.page === 'kiosk') return route.queueId ? `qode.kioskToken.${route.queueId}` : 'qode.kioskToken'
  if (route.page === 'setup') return 'qode.adminToken'
  if (route.page === 'hub') return 'qode.hubToken'
  return null
}

function storedToken(key) {
  if (!key) return null
  try {
    return globalThis.localStorage?.getItem(key) || null
  } catch {
    return null
  }
}

/** The same page at `base` (an https origin), with `token` in the fragment (other fragment parameters kept). */
export function secureUrl(base, location, token) {
  const params = new URLSearchParams(String(location?.hash ?? '').replace(/^#/, ''))
  if (token) params.set('token', token)
  const hash = params.toString()
  return `${base.replace(/\/+$/, '')}${location?.pathname ?? '/'}${location?.search ?? ''}${hash ? `#${hash}` : ''}`
}

/**
 * What to do before a staff page may send its token: {state: 'ready'} (go on), {state: 'redirect', url}
 * or {state: 'blocked'} (the box refuses staff tokens here and has no https address).
 */
export async function checkStaffHttps({ tokenKey, location = globalThis.location, fetchImpl = globalThis.fetch, timeoutMs = TLS_TIMEOUT_MS }) {
  if (location?.protocol !== 'http:' || isLoopback(location.hostname)) return { state: 'ready' }
  let info
  const abort = typeof AbortController === 'function' ? new AbortController() : null
  const timer = setTimeout(() => abort?.abort(), timeoutMs)
  try {
    // No token here: this question is public.
    const answer = await fetchImpl('/api/tls', { cache: 'no-store', signal: abort?.signal })
    info = answer.ok ? await answer.json() : null
  } catch {
    info = null // unreachable or an older box: as before
  } finally {
    clearTimeout(timer)
  }
  if (!info || typeof info.staff_url !== 'string' || !REFUSING.has(info.staff_https)) return { state: 'ready' }
  if (!info.staff_url.startsWith('https://')) return { state: 'blocked' }
  const fromLink = new URLSearchParams(String(location.hash ?? '').replace(/^#/, '')).get('token')?.trim()
  return { state: 'redirect', url: secureUrl(info.staff_url, location, fromLink || storedToken(tokenKey)) }
}

/** The staff-https check for a page, as a hook: 'checking' until known, then checkStaffHttps's answer. */
export function useStaffHttps(tokenKey, { location = globalThis.location, fetchImpl, timeoutMs } = {}) {
  const [result, setResult] = useState(() =>
    location?.protocol !== 'http:' || isLoopback(location?.hostname) ? { state: 'ready' } : { state: 'checking' },
  )
  const checking = result.state === 'checking'
  useEffect(() => {
    if (!checking) return undefined
    let live = true
    checkStaffHttps({ tokenKey, location, fetchImpl: fetchImpl ?? globalThis.fetch, timeoutMs }).then((next) => {
      if (!live) return
      if (next.state === 'redirect') location.replace(next.url)
      setResult(next)
    })
    return () => {
      live = false
    }
  }, [checking, tokenKey, location, fetchImpl, timeoutMs])
  return result
}
