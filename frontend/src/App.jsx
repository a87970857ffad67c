import { usePath } from './hooks/usePath.js'
import { matchRoute } from './lib/router.js'
import GuestView from './pages/GuestView.jsx'
import JoinView from './pages/JoinView.jsx'
import NotFound from './pages/NotFound.jsx'

export default function App() {
  const route = matchRoute(usePath())
  // Keyed by id, so moving to another ticket or queue starts from a clean page.
  if (route.page === 'guest') return <GuestView key={route.ticketId} ticketId={route.ticketId} />
  if (route.page === 'join') return <JoinView key={route.queueId} queueId={route.queueId} />
  return <NotFound />
}
