// /host/{queue_id}#token=…: the host's tablet. The token leaves the link's fragment at once
// and is saved in localStorage once the box accepts it; the live host channel (token in the first message) keeps the lists fresh,
// with REST refreshes while it is down (hooks/useHostChannel.js). Every write goes through api.js
// with an Idempotency-Key (hooks/useHostWrites.js).
import { lazy, Suspense, useCallback, useEffect, useLayoutEffect, useMemo, useState } from 'react'
import ConnectionBanner from '../components/ConnectionBanner.jsx'
import ActiveTickets from '../components/host/ActiveTickets.jsx'
import BulkActions from '../components/host/BulkActions.jsx'
import CallPanel from '../components/host/CallPanel.jsx'
import { heldAt } from '../components/host/callNext.js'
import { validCounter } from '../components/host/counter.js'
import StorageBanner from '../components/host/StorageBanner.jsx'
import ClockBanner from '../components/host/ClockBanner.jsx'
import DayFigures from '../components/host/DayFigures.jsx'
import DevicesPanel from '../components/host/DevicesPanel.jsx'
import SmsStatus from '../components/host/SmsStatus.jsx'
import HostHeader from '../components/host/HostHeader.jsx'
import { hasPrinter } from '../components/host/kiosks.js'
import HostMessage from '../components/host/HostMessage.jsx'
import HttpsRequired from '../components/host/HttpsRequired.jsx'
import LineControls from '../components/host/LineControls.jsx'
import MissedTickets from '../components/host/MissedTickets.jsx'
import TodayStats from '../components/host/TodayStats.jsx'
import WaitingList from '../components/host/WaitingList.jsx'
import { lineKey } from '../components/host/desk.js'
import Button from '../components/Button.jsx'
import { useHostChannel } from '../hooks/useHostChannel.js'
import { useHostWrites } from '../hooks/useHostWrites.js'
import { useNow } from '../hooks/useNow.js'
import { counterKey, dropLinkToken, placementOf, linkToken, readHostToken, readStored, saveHostToken, writeStored } from '../lib/hostApi.js'
import { t } from '../lib/strings.js'
import '../lib/strings.host.js'

const DEFAULT_COUNTER = '1'
const EMPTY = []
const ACTIVE = new Set(['CALLED', 'SERVING'])
// /host with a token over several services (or the whole box): a counter's desk.
const HostDesk = lazy(() => import('./HostDesk.jsx'))

export default function HostDashboard({ queueId }) {
  if (!queueId) {
    return (
      <Suspense fallback={<p className="p-6 text-lg">{t('app.loading')}</p>}>
        <HostDesk />
      </Suspense>
    )
  }
  return <ServiceDashboard queueId={queueId} />
}

/** /host/{queue_id}: one service's dashboard, as before issue 15. */
function ServiceDashboard({ queueId }) {
  // A host link's token (this one, or one opened later in the same tab: only the fragment
  // changes) is used at once but saved only when the box accepts it, so an old link cannot
  // overwrite a saved token that works. Reading stays pure; the address is cleaned below.
  const [fromLink, setFromLink] = useState(() => linkToken())
  const [saved, setSaved] = useState(() => readHostToken(queueId))

  useLayoutEffect(() => {
    dropLinkToken()
    function onHashChange() {
      const fresh = linkToken()
      if (!fresh) return
      dropLinkToken()
      setFromLink(fresh)
    }
    globalThis.addEventListener?.('hashchange', onHashChange)
    return () => globalThis.removeEventListener?.('hashchange', onHashChange)
  }, [])

  const token = fromLink ?? saved
  const accepted = useCallback(() => {
    if (fromLink && fromLink !== saved) {
      saveHostToken(queueId, fromLink)
      setSaved(fromLink)
    }
  }, [fromLink, saved, queueId])

  if (!token) return <HostMessage title={t('host.noToken.title')} body={t('host.noToken.body')} />
  // A new token starts over: a fresh channel, no "not valid" left from the old one.
  return <Dashboard key={token} queueId={queueId} token={token} onAccepted={accepted} />
}

function Dashboard({ queueId, token, onAccepted }) {
  const channel = useHostChannel(queueId, token, onAccepted)
  const { state, connection, updatedAt, error, authFailed } = channel
  const now = useNow(15000)
  const [draft, setDraft] = useState(() => readStored(counterKey(queueId)) ?? DEFAULT_COUNTER)
  const counter = validCounter(draft)
  const { busy, notice, callNext, onTicketAction, reprint, changeQueue, changeCounter, clearLine, sendTabletTime, onTransfer, onPriority, displayVoice, testVoice } =
    useHostWrites(channel, counter)
  const services = useServices(channel.api, Boolean(state?.queue))
  const defaultPlacement = useMemo(() => placementOf(channel.api, services), [channel.api, services])
  // Transfer and priority are offered when the box has another service to send guests to.
  const tools = useMemo(() => {
    if (!services || services.filter((s) => s.active !== false).length < 2) return null
    return { services, busy, onTransfer, onPriority, defaultPlacement }
  }, [services, busy, onTransfer, onPriority, defaultPlacement])

  function changeDraft(value) {
    setDraft(value)
    const name = validCounter(value)
    if (name) writeStored(counterKey(queueId), name)
  }

  // One pass per new list (each delta makes one), not per render: thousands may be waiting.
  const allTickets = state?.tickets ?? EMPTY
  const { active, waiting, missed } = useMemo(() => {
    const out = { active: [], waiting: [], missed: [] }
    for (const ticket of allTickets) {
      if (ticket.queue_id && ticket.queue_id !== queueId) continue // transferred to another service
      if (ticket.status === 'WAITING') out.waiting.push(ticket)
      else if (ACTIVE.has(ticket.status)) out.active.push(ticket)
      else if (ticket.status === 'NO_SHOW' && ticket.return_until) out.missed.push(ticket)
    }
    // issue 16: a guest who moved back ("I'm running late") stands behind later numbers: then the
    // list goes by place in line (line_seq, then rank), not by number.
    if (out.waiting.some((ticket) => ticket.late_uses > 0)) out.waiting.sort((a, b) => lineKey(a) - lineKey(b))
    return out
  }, [allTickets, queueId])

  if (authFailed === 'https' || error?.code === 'https_required') return <HttpsRequired /> // staff token over plain http
  const badToken = authFailed || error?.code === 'unauthorized' || error?.code === 'forbidden'
  if (badToken) return <HostMessage title={t('host.badToken.title')} body={t('host.badToken.body')} />
  if (error?.code === 'not_found') return <HostMessage title={t('host.notFound.title')} body={t('host.notFound.body')} />
  // Too many failed credentials from this address: the hook waits a minute and tries again.
  if (error?.code === 'rate_limited') return <HostMessage title={t('host.failed.title')} body={t('error.rate_limited')} />
  if (error) {
    return (
      <HostMessage title={t('host.failed.title')} body={t('host.failed.body')}>
        <Button onClick={() => window.location.reload()}>{t('host.retry')}</Button>
      </HostMessage>
    )
  }

  const banner = <ConnectionBanner connection={connection} updatedAt={updatedAt} hasState={Boolean(state?.queue)} />
  const queue = state?.queue
  if (!queue) {
    return (
      <div className="min-h-dvh bg-stone-50 text-stone-900">
        {banner}
        <main className="mx-auto max-w-6xl p-4">
          <p className="text-2xl">{t('app.loading')}</p>
        </main>
      </div>
    )
  }

  const tickets = allTickets
  const counters = queue.counters ?? []
  const counterState = counter ? (counters.find((c) => c.name === counter) ?? null) : null
  const canReprint = hasPrinter(state.devices)

  return (
    <div className="@container min-h-dvh bg-stone-50 text-stone-900">
      {banner}
      <HostHeader queue={queue} connection={connection} sync={state.sync} now={now} />

      {/* Two columns from 48rem of the page's width, counted in its own text size (a container
          query: a media query's rem ignores a larger text size, and at 800 px with 200 % text the
          list was squeezed to nothing): the call column stays in view (sticky) while the waiting
          list scrolls; on a phone one column, nothing sticky, so nothing covers the list. */}
      <main className="mx-auto grid max-w-6xl grid-cols-[minmax(0,1fr)] items-start gap-x-6 gap-y-4 px-4 py-4 @3xl:grid-cols-[minmax(19rem,23rem)_minmax(0,1fr)]">
        <div className="grid gap-4 empty:hidden @3xl:col-span-2">
          <StorageBanner storage={state.storage} />
          <ClockBanner clock={state.clock} onUseTabletTime={sendTabletTime} />
        </div>
        <div data-testid="call-column" className="grid min-w-0 grid-cols-[minmax(0,1fr)] content-start gap-4 @3xl:sticky @3xl:top-0 @3xl:max-h-dvh @3xl:overflow-y-auto @3xl:p-1">
          <CallPanel
            draft={draft}
            onDraftChange={changeDraft}
            counters={counters}
            waitingCount={waiting.length}
            busy={busy.has('call-next')}
            onCallNext={callNext}
            counterNote={counterState && !counterState.is_open ? t('host.counter.closed', { counter }) : null}
            notice={notice}
            held={heldAt(active, counter)}
          />
          <ActiveTickets tickets={active} counter={counter} now={now} busy={busy} onAction={onTicketAction} canReprint={canReprint} tools={tools} />
          {/* issue 16: recent no-shows that may still come back, each with one "Back" tap */}
          <MissedTickets tickets={missed} now={now} busy={busy} onAction={onTicketAction} />
          {/* In the short column: reachable in a flood without scrolling past the waiting list. */}
          <BulkActions waiting={waiting} refused={state.refused} lineOpen={queue.active} busy={busy.has('bulk')} onClear={clearLine} />
        </div>
        <div className="grid min-w-0 content-start gap-6">
          <WaitingList tickets={waiting} queue={queue} receivedAt={updatedAt} now={now} busy={busy} onAction={onTicketAction} canReprint={canReprint} tools={tools} />
          <DevicesPanel devices={state.devices} revoked={state.revoked} tickets={tickets} now={now} busy={busy} onReprint={reprint} onVoice={displayVoice} onVoiceTest={testVoice} />
          <SmsStatus sms={state.sms} />
          <LineControls
            queue={queue}
            counter={counter}
            counterState={counterState}
            now={now}
            receivedAt={updatedAt}
            busy={busy}
            onQueueChange={changeQueue}
            onCounterChange={changeCounter}
          />
          <TodayStats tickets={tickets} now={now} />
          <DayFigures token={token} queueId={queueId} />
        </div>
      </main>
      {state.version ? (
        <footer className="mx-auto max-w-6xl px-4 pb-4 text-sm text-stone-700" data-testid="version">
          {t('host.version', { version: state.version })}
        </footer>
      ) : null}
    </div>
  )
}

/** The box's services (GET /api/services), asked once the token works; null while unknown (or an older box). */
function useServices(api, ready) {
  const [services, setServices] = useState(null)
  useEffect(() => {
    if (!ready || services) return undefined
    let stop = false
    api.listServices().then(
      (list) => {
        if (!stop) setServices(list)
      },
      () => {}, // an older box has no services list: no transfers offered
    )
    return () => {
      stop = true
    }
  }, [api, ready, services])
  return services
}

