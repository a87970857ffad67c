// /host/{queue_id}#token=…: the host's tablet. The token leaves the link's fragment at once
// and is saved in localStorage once the box accepts it; the live host channel (token in the first message) keeps the lists fresh,
// with REST refreshes while it is down. Every write goes through api.js (Idempotency-Key).
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react'
import ConnectionBanner from '../components/ConnectionBanner.jsx'
import ActiveTickets from '../components/host/ActiveTickets.jsx'
import BulkActions from '../components/host/BulkActions.jsx'
import CallPanel, { validCounter } from '../components/host/CallPanel.jsx'
import StorageBanner from '../components/host/StorageBanner.jsx'
import ClockBanner from '../components/host/ClockBanner.jsx'
import DevicesPanel, { hasPrinter } from '../components/host/DevicesPanel.jsx'
import HostMessage from '../components/host/HostMessage.jsx'
import { hostPayload, mergeHost } from '../components/host/hostDelta.js'
import HttpsRequired from '../components/host/HttpsRequired.jsx'
import LineControls from '../components/host/LineControls.jsx'
import LiveStatus from '../components/host/LiveStatus.jsx'
import SyncStatus from '../components/host/SyncStatus.jsx'
import TodayStats from '../components/host/TodayStats.jsx'
import WaitingList from '../components/host/WaitingList.jsx'
import Button from '../components/Button.jsx'
import { useNow } from '../hooks/useNow.js'
import { useWebSocket } from '../hooks/useWebSocket.js'
import {
  counterKey,
  createHostApi,
  dropLinkToken,
  linkToken,
  readHostToken,
  readStored,
  saveHostToken,
  writeStored,
} from '../lib/hostApi.js'
import { uuid } from '../lib/random.js'
import { errorText, t } from '../lib/strings.js'

const DEFAULT_COUNTER = '1'
const EMPTY = []
const ACTIVE = new Set(['CALLED', 'SERVING'])
// Answers that are part of a normal day, said kindly rather than as failures.
const KIND = new Set(['nobody_waiting', 'illegal_transition', 'ticket_not_found', 'counter_closed', 'no_printer', 'ticket_ended'])
// A write whose answer was lost (offline) is retried with the same Idempotency-Key, so
// pressing "Call next" again cannot call two guests. Only by the very next press of the same
// request, within this long, and only while no fresh state has come in since: after that the
// host sees what happened, and the same key would replay an old answer instead of acting.
const KEY_REUSE_MS = 2 * 60 * 1000

const isAuthError = (err) => err?.status === 401 || err?.status === 403
// A refused staff token over plain http (QODE_STAFF_HTTPS) is 403 too, but the token may be fine.
const authFailure = (err) => (err?.code === 'https_required' ? 'https' : true)

export { hostPayload }

/** An error as the host should read it: the host's own wording first, then the shared one. */
export function hostErrorText(err) {
  const key = `host.error.${err?.code}`
  const text = t(key)
  return text !== key ? text : errorText(err)
}

export default function HostDashboard({ queueId }) {
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
  const api = useMemo(() => createHostApi(queueId, token), [queueId, token])
  const [authFailed, setAuthFailed] = useState(false)
  const acceptedRef = useRef(onAccepted)
  acceptedRef.current = onAccepted
  // The devices last known, kept when a REST refresh cannot get them (an older box has no list).
  const devicesRef = useRef(undefined)
  const syncRef = useRef(undefined) // likewise the hub sync status (healthz has it, on newer boxes)
  const refusedRef = useRef(undefined) // and the joins refused today (only the live channel has them)

  const load = useCallback(async () => {
    const [tickets, queue, health, devices] = await Promise.allSettled([api.listTickets(), api.getQueue(), api.health(), api.listDevices()])
    if (tickets.status === 'fulfilled') acceptedRef.current() // the ticket list needs the token
    for (const part of [tickets, queue]) {
      if (part.status === 'rejected') {
        if (isAuthError(part.reason)) setAuthFailed(authFailure(part.reason))
        throw part.reason
      }
    }
    const out = { queue: queue.value, tickets: tickets.value, clock: health.status === 'fulfilled' ? (health.value?.clock ?? null) : null }
    const knownDevices = devices.status === 'fulfilled' ? devices.value : devicesRef.current
    if (knownDevices) out.devices = knownDevices
    const sync = health.status === 'fulfilled' && health.value?.sync ? health.value.sync : syncRef.current
    if (sync) out.sync = sync
    if (health.status === 'fulfilled' && health.value?.storage) out.storage = health.value.storage
    else if (health.status === 'rejected' && health.reason?.body?.storage) out.storage = health.reason.body.storage
    if (refusedRef.current) out.refused = refusedRef.current
    if (health.status === 'fulfilled' && typeof health.value?.version === 'string') out.version = health.value.version
    return out
  }, [api])

  const { state, connection, updatedAt, error, replace } = useWebSocket(
    authFailed ? null : `/ws/host/${encodeURIComponent(queueId)}`,
    // The host channel sends nothing before it accepts the auth message.
    { authToken: token, select: hostPayload, merge: mergeHost, fallback: load, onMessage: () => acceptedRef.current() },
  )
  const stateRef = useRef(state)
  stateRef.current = state
  devicesRef.current = state?.devices
  syncRef.current = state?.sync
  refusedRef.current = state?.refused
  const connectionRef = useRef(connection)
  connectionRef.current = connection
  const updatedAtRef = useRef(updatedAt)
  updatedAtRef.current = updatedAt

  const now = useNow(15000)
  const [draft, setDraft] = useState(() => readStored(counterKey(queueId)) ?? DEFAULT_COUNTER)
  const counter = validCounter(draft)
  const [notice, setNotice] = useState(null)
  const [busy, setBusy] = useState(() => new Set())
  const busyRef = useRef(new Set())
  // The last write whose answer was lost: {signature, key, at}.
  const lostRef = useRef(null)

  function changeDraft(value) {
    setDraft(value)
    const name = validCounter(value)
    if (name) writeStored(counterKey(queueId), name)
  }

  const refresh = useCallback(async () => {
    try {
      replace(await load())
    } catch {
      // offline or refused: the live channel and its fallback keep trying
    }
  }, [load, replace])

  /**
   * Run one write. `busyKey` keeps it from running twice at once; `signature` names the
   * request, so a retry after a lost answer reuses its Idempotency-Key.
   * Resolves to {ok, result} or {ok: false, error, message}.
   */
  async function run(busyKey, signature, call, { notify = true } = {}) {
    if (busyRef.current.has(busyKey)) return { ok: false, skipped: true }
    busyRef.current.add(busyKey)
    setBusy(new Set(busyRef.current))
    const lost = lostRef.current
    lostRef.current = null // only the very next press may retry it
    const reuse =
      lost &&
      lost.signature === signature &&
      Date.now() - lost.at < KEY_REUSE_MS &&
      !(updatedAtRef.current > lost.at) // fresh state since the failure: the host has seen it
    const idempotencyKey = reuse ? lost.key : uuid()
    try {
      const result = await call({ idempotencyKey })
      acceptedRef.current()
      if (connectionRef.current !== 'open') refresh()
      return { ok: true, result }
    } catch (err) {
      // Only a lost answer may be retried; any answer, even an error, is final.
      if (err?.code === 'offline') lostRef.current = { signature, key: idempotencyKey, at: Date.now() }
      if (isAuthError(err)) {
        setAuthFailed(authFailure(err))
        return { ok: false, error: err, message: t('host.badToken.title') }
      }
      const message = hostErrorText(err)
      // The box could not save: show why at once, before the live channel says so.
      if (String(err?.code ?? '').startsWith('storage_') && stateRef.current) {
        replace({ ...stateRef.current, storage: { ok: false, reason: err.code.slice('storage_'.length) } })
      }
      if (notify) setNotice({ tone: KIND.has(err?.code) ? 'info' : 'error', text: message })
      if (err?.status === 409 || err?.status === 404) refresh()
      return { ok: false, error: err, message }
    } finally {
      busyRef.current.delete(busyKey)
      setBusy(new Set(busyRef.current))
    }
  }

  async function callNext() {
    if (!counter) {
      setNotice({ tone: 'error', text: t('host.counter.invalid') })
      return
    }
    const answer = await run('call-next', `call-next:${counter}`, (o) => api.callNext(counter, o))
    if (answer.ok) {
      setNotice({ tone: 'success', text: t('host.called', { number: answer.result.display_number, counter: answer.result.counter ?? counter }) })
    }
  }

  async function ticketAction(ticket, action) {
    let call
    if (action === 'recall') {
      // Out of turn from the line: to this counter. Called again: to the counter it was called to.
      const to = ticket.status === 'WAITING' ? counter : null
      if (ticket.status === 'WAITING' && !to) {
        setNotice({ tone: 'error', text: t('host.counter.invalid') })
        return
      }
      call = (o) => api.recall(ticket.id, to, o)
    } else if (action === 'cancel') {
      call = (o) => api.cancel(ticket.id, o)
    } else if (action === 'reprint') {
      call = (o) => api.reprint(ticket.id, null, o)
    } else {
      call = (o) => api.move(ticket.id, action, o)
    }
    const answer = await run(`${action}:${ticket.id}`, `${action}:${ticket.id}:${counter ?? ''}`, call)
    if (answer.ok) {
      const done = answer.result ?? ticket
      setNotice({ tone: 'success', text: t(`host.done.${action}`, { number: done.display_number ?? ticket.display_number, counter: done.counter ?? counter }) })
    }
  }

  /**
   * Print `ticket` again on a kiosk. The answer is for the caller to show where the host
   * pressed (the printers panel): resolves to {ok, result} or {ok: false, message, tone}.
   */
  async function reprint(ticket) {
    const answer = await run(`reprint:${ticket.id}`, `reprint:${ticket.id}`, (o) => api.reprint(ticket.id, null, o), { notify: false })
    if (!answer.ok && answer.error) answer.tone = KIND.has(answer.error.code) ? 'info' : 'error'
    return answer
  }

  async function changeQueue(changes) {
    const answer = await run('queue', `queue:${JSON.stringify(changes)}`, (o) => api.updateQueue(changes, o))
    if (answer.ok) {
      if (stateRef.current && answer.result) replace({ ...stateRef.current, queue: answer.result })
      setNotice({ tone: 'success', text: t('host.saved') })
    }
  }

  async function changeCounter(open, backIn) {
    if (!counter) return
    const answer = await run('counter', `counter:${counter}:${open}:${backIn ?? ''}`, (o) => api.setCounter(counter, open, backIn, o))
    if (answer.ok) {
      if (stateRef.current && answer.result) replace({ ...stateRef.current, queue: answer.result })
      setNotice({ tone: 'success', text: t('host.saved') })
    }
  }

  /** Cancel everyone waiting (`filter`: {source?, joined_after?}), or close the line and clear it. */
  async function clearLine(kind, filter) {
    const call = kind === 'close' ? (o) => api.closeAndClear(o) : (o) => api.cancelWaiting(filter ?? {}, o)
    const answer = await run('bulk', `bulk:${kind}:${JSON.stringify(filter ?? {})}`, call)
    if (answer.ok) {
      if (stateRef.current && answer.result?.queue) replace({ ...stateRef.current, queue: answer.result.queue })
      setNotice({ tone: 'success', text: t('host.bulk.done', { count: answer.result?.cancelled ?? 0 }) })
    }
    return answer
  }

  async function sendTabletTime() {
    const nowIso = new Date().toISOString()
    const answer = await run('clock', `clock:${nowIso}`, (o) => api.setClock(nowIso, o), { notify: false })
    if (answer.ok && stateRef.current && answer.result?.clock) replace({ ...stateRef.current, clock: answer.result.clock })
    return answer
  }

  // One function for every row's buttons, so a row that did not change needs no new render.
  const ticketActionRef = useRef(ticketAction)
  ticketActionRef.current = ticketAction
  const onTicketAction = useCallback((ticket, action) => ticketActionRef.current(ticket, action), [])

  // The N key calls the next guest, unless the host is typing somewhere.
  const callNextRef = useRef(callNext)
  callNextRef.current = callNext
  useEffect(() => {
    function onKey(event) {
      if (event.key !== 'n' && event.key !== 'N') return
      if (event.repeat || event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return
      const target = event.target
      if (target?.closest?.('input, textarea, select, [contenteditable=""], [contenteditable="true"]')) return
      event.preventDefault()
      callNextRef.current()
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [])

  // One pass per new list (each delta makes one), not per render: thousands may be waiting.
  const allTickets = state?.tickets ?? EMPTY
  const { active, waiting } = useMemo(() => {
    const out = { active: [], waiting: [] }
    for (const ticket of allTickets) {
      if (ticket.status === 'WAITING') out.waiting.push(ticket)
      else if (ACTIVE.has(ticket.status)) out.active.push(ticket)
    }
    return out
  }, [allTickets])

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
  const lineStatus = !queue.active ? 'closed' : queue.is_paused ? 'paused' : 'open'
  const canReprint = hasPrinter(state.devices)

  return (
    <div className="min-h-dvh bg-stone-50 text-stone-900">
      {banner}
      <header className="border-b border-stone-300 bg-white">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-3 px-4 py-3">
          <h1 className="text-2xl font-bold break-words">
            <span className="sr-only">{t('host.title')}: </span>
            {queue.name}
          </h1>
          <div className="flex flex-wrap items-center gap-2">
            <p
              data-testid="line-status"
              className={`rounded-full px-3 py-1 text-base font-bold ${
                lineStatus === 'open' ? 'bg-blue-100 text-blue-950' : lineStatus === 'paused' ? 'bg-amber-200 text-stone-950' : 'bg-stone-800 text-white'
              }`}
            >
              {t(`host.line.${lineStatus}`)}
            </p>
            <LiveStatus connection={connection} />
          </div>
        </div>
        <SyncStatus sync={state.sync} now={now} className="mx-auto max-w-6xl px-4 pb-3" />
      </header>

      <main className="mx-auto grid max-w-6xl gap-6 px-4 py-6 md:grid-cols-2">
        <div className="grid gap-4 empty:hidden md:col-span-2">
          <StorageBanner storage={state.storage} />
          <ClockBanner clock={state.clock} onUseTabletTime={sendTabletTime} />
        </div>
        <div className="grid content-start gap-6">
          <CallPanel
            draft={draft}
            onDraftChange={changeDraft}
            counters={counters}
            waitingCount={waiting.length}
            busy={busy.has('call-next')}
            onCallNext={callNext}
            counterNote={counterState && !counterState.is_open ? t('host.counter.closed', { counter }) : null}
            notice={notice}
          />
          <ActiveTickets tickets={active} counter={counter} now={now} busy={busy} onAction={onTicketAction} canReprint={canReprint} />
          {/* In the short column: reachable in a flood without scrolling past the waiting list. */}
          <BulkActions waiting={waiting} refused={state.refused} lineOpen={queue.active} busy={busy.has('bulk')} onClear={clearLine} />
        </div>
        <div className="grid content-start gap-6">
          <DevicesPanel devices={state.devices} tickets={tickets} now={now} busy={busy} onReprint={reprint} />
          <WaitingList tickets={waiting} queue={queue} receivedAt={updatedAt} now={now} busy={busy} onAction={onTicketAction} canReprint={canReprint} />
        </div>
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
        <TodayStats tickets={tickets} />
      </main>
      {state.version ? (
        <footer className="mx-auto max-w-6xl px-4 pb-4 text-sm text-stone-700" data-testid="version">
          {t('host.version', { version: state.version })}
        </footer>
      ) : null}
    </div>
  )
}
