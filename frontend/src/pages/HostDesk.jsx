// /host#token=…: a counter's desk for a host token that covers several services (or the whole
// box). The host picks (or resumes) a counter, ticks the services it calls from today and may
// give their name; then the desk shows those services' waiting guests in one list, in the
// order the counter will call them, with "Call next" by the counter's rule, transfers and
// priority. Live: one host channel per service (components/host/ServiceFeed.jsx).
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react'
import ConnectionBanner from '../components/ConnectionBanner.jsx'
import Button from '../components/Button.jsx'
import Page from '../components/Page.jsx'
import ActiveTickets from '../components/host/ActiveTickets.jsx'
import CallPanel from '../components/host/CallPanel.jsx'
import CounterPicker from '../components/host/CounterPicker.jsx'
import DayFigures from '../components/host/DayFigures.jsx'
import DeskWaitingList from '../components/host/DeskWaitingList.jsx'
import HostMessage from '../components/host/HostMessage.jsx'
import HttpsRequired from '../components/host/HttpsRequired.jsx'
import LiveStatus from '../components/host/LiveStatus.jsx'
import MissedTickets from '../components/host/MissedTickets.jsx'
import Notice from '../components/host/Notice.jsx'
import ServiceFeed from '../components/host/ServiceFeed.jsx'
import { deskActive, deskMissed, deskOrder, heldBy, serviceLine, worstConnection } from '../components/host/desk.js'
import { hostErrorText } from '../components/host/hostErrorText.js'
import { isAuthError } from '../hooks/useHostChannel.js'
import { useHostWrites } from '../hooks/useHostWrites.js'
import { useLatest } from '../hooks/useLatest.js'
import { useNow } from '../hooks/useNow.js'
import {
  DESK_COUNTER_KEY,
  DESK_TOKEN_KEY,
  createDeskApi,
  createHostApi,
  dropLinkToken,
  linkToken,
  placementOf,
  readStored,
  writeStored,
} from '../lib/hostApi.js'
import { t } from '../lib/strings.js'
import '../lib/strings.host.js'

export default function HostDesk() {
  // As the one-service dashboard: a link's token is used at once, saved once the box accepts it.
  const [fromLink, setFromLink] = useState(() => linkToken())
  const [saved, setSaved] = useState(() => readStored(DESK_TOKEN_KEY) || null)
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
      writeStored(DESK_TOKEN_KEY, fromLink)
      setSaved(fromLink)
    }
  }, [fromLink, saved])
  if (!token) return <HostMessage title={t('host.noToken.title')} body={t('host.noToken.body')} />
  return <Desk key={token} token={token} onAccepted={accepted} />
}

function Desk({ token, onAccepted }) {
  const api = useMemo(() => createDeskApi(token), [token])
  const [scope, setScope] = useState(null) // {counters, services} from the box
  const [failure, setFailure] = useState(null)
  const [session, setSession] = useState(null) // the open counter
  const [opening, setOpening] = useState(false)
  const [notice, setNotice] = useState(null)

  // The counters and services this token may work with; asked again after a counter session.
  const [asked, setAsked] = useState(0)
  const loadScope = useCallback(() => setAsked((n) => n + 1), [])
  const acceptedRef = useLatest(onAccepted)
  useEffect(() => {
    let stop = false
    Promise.all([api.listCounters(), api.listServices()]).then(
      ([counters, services]) => {
        if (stop) return
        acceptedRef.current()
        setScope({ counters, services })
        setFailure(null)
      },
      (err) => {
        if (!stop) setFailure(err)
      },
    )
    return () => {
      stop = true
    }
  }, [api, acceptedRef, asked])

  async function open({ counter, services, staff, resume }) {
    setNotice(null)
    if (resume) {
      writeStored(DESK_COUNTER_KEY, counter.id)
      setSession(counter)
      return
    }
    setOpening(true)
    try {
      const opened = await api.openCounter(counter.id, { services, staff })
      writeStored(DESK_COUNTER_KEY, counter.id)
      setSession(opened ?? counter)
    } catch (err) {
      if (isAuthError(err) && err.code !== 'service_not_in_scope') setFailure(err)
      else setNotice({ tone: 'error', text: hostErrorText(err) })
    } finally {
      setOpening(false)
    }
  }

  function leave(closed) {
    setSession(null)
    if (closed) setNotice({ tone: 'success', text: t('host.counterClosed', { counter: closed.name }) })
    loadScope()
  }

  if (failure?.code === 'https_required') return <HttpsRequired />
  if (failure && isAuthError(failure)) return <HostMessage title={t('host.badToken.title')} body={t('host.badToken.body')} />
  if (failure && !scope) {
    return (
      <HostMessage title={t('host.failed.title')} body={hostErrorText(failure)}>
        <Button onClick={() => loadScope()}>{t('host.retry')}</Button>
      </HostMessage>
    )
  }
  if (!scope) {
    return (
      <Page>
        <p className="text-2xl">{t('app.loading')}</p>
      </Page>
    )
  }
  if (!session) {
    return (
      <Page>
        <CounterPicker
          counters={scope.counters}
          services={scope.services}
          lastCounterId={readStored(DESK_COUNTER_KEY)}
          busy={opening}
          notice={notice}
          onOpen={open}
        />
      </Page>
    )
  }
  return <CounterDesk key={session.id} api={api} token={token} counter={session} services={scope.services} onAccepted={onAccepted} onLeave={leave} onAuthFailed={setFailure} />
}

function CounterDesk({ api, token, counter, services, onAccepted, onLeave, onAuthFailed }) {
  const serviceIds = useMemo(() => (counter.services ?? []).map((s) => s.queue_id), [counter])
  const [feeds, setFeeds] = useState({})
  const onFeed = useCallback((queueId, feed) => setFeeds((all) => ({ ...all, [queueId]: feed })), [])
  const now = useNow(15000)

  const names = useMemo(() => {
    const out = new Map(services.map((s) => [s.id, s.name]))
    for (const s of counter.services ?? []) if (s.name) out.set(s.queue_id, s.name)
    return out
  }, [services, counter])
  const serviceName = useCallback((ticket) => ticket.service?.name ?? names.get(ticket.queue_id) ?? '', [names])

  // One list in the counter's call order, rebuilt when a service's rows or order change.
  const lines = useMemo(() => {
    const out = {}
    for (const id of serviceIds) out[id] = serviceLine(feeds[id]?.state?.tickets, id, feeds[id]?.order)
    return out
  }, [feeds, serviceIds])
  const waiting = useMemo(() => deskOrder(lines, counter, now), [lines, counter, now])
  const active = useMemo(() => deskActive(feeds, serviceIds), [feeds, serviceIds])
  const missed = useMemo(() => deskMissed(feeds, serviceIds), [feeds, serviceIds]) // issue 16: grace

  const all = serviceIds.map((id) => feeds[id])
  const connection = worstConnection(all.map((f) => f?.connection))
  const updatedAt = all.reduce((min, f) => (f?.updatedAt && (min === null || f.updatedAt < min) ? f.updatedAt : min), null)
  const authFailed = all.some((f) => f?.authFailed || f?.error?.code === 'unauthorized' || f?.error?.code === 'forbidden')
  useEffect(() => {
    if (authFailed) onAuthFailed({ status: 401, code: 'unauthorized' })
  }, [authFailed, onAuthFailed])

  // The writes of the one-service dashboard, with the counter's own call-next (by its rule).
  const latest = useRef({ state: null, connection, updatedAt })
  useLayoutEffect(() => {
    latest.current = { state: null, connection, updatedAt }
  }, [connection, updatedAt])
  const accepted = useRef(onAccepted)
  const feedsRef = useRef(feeds)
  useLayoutEffect(() => {
    accepted.current = onAccepted
    feedsRef.current = feeds
  }, [onAccepted, feeds])
  const channel = useMemo(() => {
    const ticketApi = createHostApi(serviceIds[0] ?? '', token)
    return {
      api: {
        ...ticketApi,
        ...api,
        callNext: async (_name, options) => {
          try {
            return await api.callNext(counter.id, options)
          } catch (err) {
            // Closed elsewhere: the way back is this desk's own choice, not the one-service page's.
            if (err?.code === 'counter_closed') err.code = 'desk_counter_closed'
            throw err
          }
        },
      },
      replace: () => {},
      refresh: async () => {
        for (const feed of Object.values(feedsRef.current)) await feed?.refresh?.()
      },
      latest,
      accepted,
      failAuth: (err) => onAuthFailed(err),
    }
  }, [api, token, counter.id, serviceIds, onAuthFailed])
  const { busy, notice, callNext, onTicketAction, onTransfer, onPriority } = useHostWrites(channel, counter.name, { allReasons: true })
  const defaultPlacement = useMemo(() => placementOf(api, services), [api, services])
  const tools = useMemo(() => ({ services, busy, onTransfer, onPriority, defaultPlacement }), [services, busy, onTransfer, onPriority, defaultPlacement])
  const [closing, setClosing] = useState(false)
  const [closeNotice, setCloseNotice] = useState(null)

  async function close() {
    setClosing(true)
    try {
      await api.closeCounter(counter.id)
      onLeave(counter)
    } catch (err) {
      if (isAuthError(err) && err.code !== 'service_not_in_scope') onAuthFailed(err)
      else setCloseNotice({ tone: 'error', text: hostErrorText(err) })
      setClosing(false)
    }
  }

  const held = active.filter((ticket) => heldBy(ticket, counter))
  const serving = serviceIds.map((id) => names.get(id) ?? '').join(', ')
  return (
    <div className="@container min-h-dvh bg-stone-50 text-stone-900">
      {serviceIds.map((id) => (
        <ServiceFeed key={id} queueId={id} token={token} deskApi={api} onChange={onFeed} onAccepted={onAccepted} />
      ))}
      <ConnectionBanner connection={connection} updatedAt={updatedAt} hasState={all.some((f) => f?.state)} />
      <header className="border-b border-stone-300 bg-white">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-3 px-4 py-3">
          <div className="grid min-w-0">
            <h1 className="text-2xl font-bold wrap-anywhere">
              <span className="sr-only">{t('host.title')}: </span>
              {t('host.atCounter', { counter: counter.name })}
            </h1>
            <p className="text-lg wrap-anywhere" data-testid="desk-services">
              {t('host.desk.serving', { services: serving })}
              {counter.staff ? ` · ${t('host.desk.staffed', { staff: counter.staff })}` : ''}
            </p>
          </div>
          <LiveStatus connection={connection} />
        </div>
      </header>
      <main className="mx-auto grid max-w-6xl grid-cols-[minmax(0,1fr)] items-start gap-x-6 gap-y-4 px-4 py-4 @3xl:grid-cols-[minmax(19rem,23rem)_minmax(0,1fr)]">
        <div className="grid min-w-0 grid-cols-[minmax(0,1fr)] content-start gap-4 @3xl:sticky @3xl:top-0 @3xl:max-h-dvh @3xl:overflow-y-auto @3xl:p-1">
          <CallPanel
            draft={counter.name}
            onDraftChange={() => {}}
            counters={[]}
            fixedCounter
            waitingCount={waiting.length}
            busy={busy.has('call-next')}
            onCallNext={callNext}
            notice={notice}
            held={held}
          />
          <ActiveTickets tickets={active} counter={counter.name} now={now} busy={busy} onAction={onTicketAction} tools={tools} serviceName={serviceName} />
          {/* issue 16: recent no-shows of the counter's services that may still come back */}
          <MissedTickets tickets={missed} now={now} busy={busy} onAction={onTicketAction} serviceName={serviceIds.length > 1 ? serviceName : null} />
          <section aria-labelledby="desk-close-title" className="grid gap-2 rounded-2xl bg-white p-4 shadow-sm ring-1 ring-stone-300">
            <h2 id="desk-close-title" className="text-xl font-bold">
              {t('host.desk.sessionTitle')}
            </h2>
            <Button kind="secondary" onClick={() => onLeave(null)}>
              {t('host.desk.change')}
            </Button>
            <Button kind="danger" disabled={closing} onClick={close}>
              {t('host.desk.close', { counter: counter.name })}
            </Button>
            <Notice notice={closeNotice} />
          </section>
        </div>
        {/* Below the list, folded: the day's figures never push the list or "Call next" down. */}
        <div className="grid min-w-0 content-start gap-6">
          <DeskWaitingList tickets={waiting} serviceName={serviceName} now={now} tools={tools} />
          <DayFigures token={token} folded />
        </div>
      </main>
    </div>
  )
}
