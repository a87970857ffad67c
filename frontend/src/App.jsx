import { lazy, Suspense } from 'react'
import ErrorBoundary from './components/ErrorBoundary.jsx'
import StaffHttpsGate from './components/screens/StaffHttpsGate.jsx'
import { staffTokenKey } from './components/screens/staffHttps.js'
import { usePath } from './hooks/usePath.js'
import { matchRoute } from './lib/router.js'
import { t } from './lib/strings.js'
import GuestView from './pages/GuestView.jsx'
import JoinView from './pages/JoinView.jsx'
import NotFound from './pages/NotFound.jsx'

// The guest and join pages are what phones open: they load with the app. The staff's, the
// screens' and the hub's pages come in their own chunks, so a guest's phone never downloads them.
const HostDashboard = lazy(() => import('./pages/HostDashboard.jsx'))
const DisplayView = lazy(() => import('./pages/DisplayView.jsx'))
const KioskView = lazy(() => import('./pages/KioskView.jsx'))
// /join, /kiosk and /display without an id: the pages of several services (issue 15). The choice
// of services is a chunk of its own too: the guest's ticket page, whose weight has a budget, never needs it.
const JoinServices = lazy(() => import('./pages/JoinServices.jsx'))
const KioskServices = lazy(() => import('./pages/KioskServices.jsx'))
const DisplayServices = lazy(() => import('./pages/DisplayServices.jsx'))
const SetupView = lazy(() => import('./pages/SetupView.jsx'))
const HubView = lazy(() => import('./pages/HubView.jsx'))

export default function App() {
  return (
    <ErrorBoundary>
      <Page />
    </ErrorBoundary>
  )
}

function Page() {
  const route = matchRoute(usePath())
  // Keyed by id, so moving to another ticket or queue starts from a clean page.
  if (route.page === 'guest') return <GuestView key={route.ticketId} ticketId={route.ticketId} />
  if (route.page === 'join' && route.queueId) return <JoinView key={route.queueId} queueId={route.queueId} />
  const pages = route.queueId || !['join', 'kiosk', 'display'].includes(route.page)
    ? { host: HostDashboard, display: DisplayView, kiosk: KioskView, setup: SetupView, hub: HubView }
    : { join: JoinServices, display: DisplayServices, kiosk: KioskServices }
  const Lazy = pages[route.page]
  if (Lazy) {
    const page = (
      <Suspense fallback={<p className="p-6 text-lg">{t('app.loading')}</p>}>
        <Lazy key={route.queueId} queueId={route.queueId} />
      </Suspense>
    )
    // A page with a staff token waits until it may send it from here (never over plain http from
    // the Wi-Fi when the box wants https); the display sends none.
    const tokenKey = staffTokenKey(route)
    return tokenKey ? <StaffHttpsGate key={tokenKey} tokenKey={tokenKey}>{page}</StaffHttpsGate> : page
  }
  return <NotFound />
}
