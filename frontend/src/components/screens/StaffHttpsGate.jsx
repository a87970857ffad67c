// Staff pages (host, touch kiosk, setup, hub) opened over plain http from another machine: before
// any of them sends a token, ask the box (GET /api/tls, no token) whether it refuses staff tokens
// over plain http (QODE_STAFF_HTTPS). If it does and has an https address, move to the same page
// there, the token in the fragment (never sent over the network; the https origin has its own
// storage, so a token this origin only kept in localStorage comes along). The token is never sent
// over http. Over https, on the box itself (loopback), or when the box cannot say: as before.
import { t } from '../../lib/strings.js'
import { useStaffHttps } from './staffHttps.js'

/** Renders `children` (the staff page) only once it may send its token from here. */
export default function StaffHttpsGate({ tokenKey, location, fetchImpl, timeoutMs, children }) {
  const result = useStaffHttps(tokenKey, { location, fetchImpl, timeoutMs })
  if (result.state === 'ready') return children
  if (result.state === 'blocked') {
    return (
      <main className="mx-auto grid max-w-xl gap-3 p-6">
        <h1 className="text-3xl font-bold">{t('staffHttps.blockedTitle')}</h1>
        <p className="text-xl">{t('staffHttps.blockedBody')}</p>
      </main>
    )
  }
  return <p className="p-6 text-lg">{t(result.state === 'redirect' ? 'staffHttps.moving' : 'app.loading')}</p>
}
