// The host's writes (call next, ticket actions, line and counter changes, bulk clearing, the
// tablet's time): one at a time per button, each through api.js with an Idempotency-Key.
import { useCallback, useEffect, useRef, useState } from 'react'
import { endedSentences } from '../components/host/callNext.js'
import { reasonText } from '../components/host/desk.js'
import { hostErrorText } from '../components/host/hostErrorText.js'
import { uuid } from '../lib/random.js'
import { t } from '../lib/strings.js'
import '../lib/strings.host.js'
import { isAuthError } from './useHostChannel.js'
import { useLatest } from './useLatest.js'

// Answers that are part of a normal day, said kindly rather than as failures.
const KIND = new Set(['nobody_waiting', 'illegal_transition', 'ticket_not_found', 'counter_closed', 'no_printer', 'ticket_ended',
  'window_passed', 'already_returned', 'not_no_show', 'returns_off']) // issue 16: a no-show's return refused
// A write whose answer was lost (offline) is retried with the same Idempotency-Key, so
// pressing "Call next" again cannot call two guests. Only by the very next press of the same
// request, within this long, and only while no fresh state has come in since: after that the
// host sees what happened, and the same key would replay an old answer instead of acting.
const KEY_REUSE_MS = 2 * 60 * 1000
// Call reasons that put a guest before the one next in line (docs/services.md, section 3).
const OVERTAKING = new Set(['priority', 'overdue', 'streak', 'chosen'])

/** issue 16, grace: where a no-show went back in line, in words. */
export function returnedText(number, ahead) {
  return ahead > 0 ? t('host.done.return', { number, count: ahead }) : t('host.done.returnNext', { number })
}

/**
 * `channel` is useHostChannel's answer; `counter` the host's valid counter name (or null);
 * `allReasons`: say every call's reason (a counter over several services), not only overtaking ones.
 * Returns {busy (a Set of busy keys), notice, callNext, onTicketAction, reprint, displayVoice, testVoice, changeQueue,
 * changeCounter, clearLine, sendTabletTime, onTransfer, onPriority}. The N key calls the next guest.
 */
export function useHostWrites(channel, counter, { allReasons = false } = {}) {
  const { api, replace, refresh, latest, accepted, failAuth } = channel
  const [notice, setNotice] = useState(null)
  const [busy, setBusy] = useState(() => new Set())
  const busyRef = useRef(new Set())
  // The last write whose answer was lost: {signature, key, at}.
  const lostRef = useRef(null)

  /** Put `changes` into the last known state (an answer to a write, before the channel says so). */
  function patchState(changes) {
    const state = latest.current.state
    if (state) replace({ ...state, ...changes })
  }

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
      !(latest.current.updatedAt > lost.at) // fresh state since the failure: the host has seen it
    const idempotencyKey = reuse ? lost.key : uuid()
    try {
      const result = await call({ idempotencyKey })
      accepted.current()
      if (latest.current.connection !== 'open') refresh()
      return { ok: true, result }
    } catch (err) {
      // Only a lost answer may be retried; any answer, even an error, is final.
      if (err?.code === 'offline') lostRef.current = { signature, key: idempotencyKey, at: Date.now() }
      if (isAuthError(err)) {
        failAuth(err)
        return { ok: false, error: err, message: t('host.badToken.title') }
      }
      const message = hostErrorText(err)
      // The box could not save: show why at once, before the live channel says so.
      if (String(err?.code ?? '').startsWith('storage_')) patchState({ storage: { ok: false, reason: err.code.slice('storage_'.length) } })
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
      // The counter's previous ticket, if any, was ended by the same call: say which and how.
      const called = t('host.called', { number: answer.result.display_number, counter: answer.result.counter ?? counter })
      // Which rule picked this guest ("Priority", "Waited longest"…). One service's dashboard says
      // it only when the guest was not simply next in line, as before issue 15.
      const reason = answer.result.reason
      const why = allReasons || OVERTAKING.has(reason) ? reasonText(reason) : null
      const said = why ? t('host.reason.sentence', { reason: why }) : null
      setNotice({ tone: 'success', text: [called, said, ...endedSentences(answer.result.ended)].filter(Boolean).join(' ') })
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
      const number = done.display_number ?? ticket.display_number
      const said = action === 'return' ? returnedText(number, done.people_ahead) : t(`host.done.${action}`, { number, counter: done.counter ?? counter })
      // Calling or serving at a counter ends what it still held (recall, serve): say that too.
      setNotice({ tone: 'success', text: [said, ...endedSentences(done.ended)].join(' ') })
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

  /** Issue 16: a display of the line says its calls or only chimes; the answer is for its row. */
  async function displayVoice(device, on) {
    return run(`voice:${device.id}`, `voice:${device.id}:${on}`, (o) => api.setDeviceVoice(device.id, on, o), { notify: false })
  }

  /** Issue 16: the display says the sample call now (409 when it is not connected). */
  async function testVoice(device) {
    return run(`voice:${device.id}`, `voice-test:${device.id}:${Date.now()}`, (o) => api.testDeviceVoice(device.id, o), { notify: false })
  }

  async function changeQueue(changes) {
    const answer = await run('queue', `queue:${JSON.stringify(changes)}`, (o) => api.updateQueue(changes, o))
    if (answer.ok) {
      if (answer.result) patchState({ queue: answer.result })
      setNotice({ tone: 'success', text: t('host.saved') })
    }
  }

  async function changeCounter(open, backIn) {
    if (!counter) return
    const answer = await run('counter', `counter:${counter}:${open}:${backIn ?? ''}`, (o) => api.setCounter(counter, open, backIn, o))
    if (answer.ok) {
      if (answer.result) patchState({ queue: answer.result })
      setNotice({ tone: 'success', text: t('host.saved') })
    }
  }

  /** Cancel everyone waiting (`filter`: {source?, joined_after?}), or close the line and clear it. */
  async function clearLine(kind, filter) {
    const call = kind === 'close' ? (o) => api.closeAndClear(o) : (o) => api.cancelWaiting(filter ?? {}, o)
    const answer = await run('bulk', `bulk:${kind}:${JSON.stringify(filter ?? {})}`, call)
    if (answer.ok) {
      if (answer.result?.queue) patchState({ queue: answer.result.queue })
      setNotice({ tone: 'success', text: t('host.bulk.done', { count: answer.result?.cancelled ?? 0 }) })
    }
    return answer
  }

  /** Send `ticket` to the service `queueId`, placed by `placement` ("original" | "end"). */
  async function transfer(ticket, queueId, placement, serviceName) {
    const answer = await run(`transfer:${ticket.id}`, `transfer:${ticket.id}:${queueId}:${placement}`, (o) => api.transfer(ticket.id, queueId, placement, o))
    if (answer.ok) {
      const service = serviceName ?? answer.result?.service?.name ?? ''
      setNotice({ tone: 'success', text: t(placement === 'end' ? 'host.transfer.doneEnd' : 'host.transfer.done', { number: ticket.display_number, service }) })
    }
    return answer
  }

  /** Give a WAITING ticket priority (`value` true) or take it away. */
  async function setPriority(ticket, value) {
    const answer = await run(`priority:${ticket.id}`, `priority:${ticket.id}:${value}`, (o) => api.setPriority(ticket.id, value, o))
    if (answer.ok) setNotice({ tone: 'success', text: t(value ? 'host.priority.given' : 'host.priority.removed', { number: ticket.display_number }) })
    return answer
  }

  async function sendTabletTime() {
    const nowIso = new Date().toISOString()
    const answer = await run('clock', `clock:${nowIso}`, (o) => api.setClock(nowIso, o), { notify: false })
    if (answer.ok && answer.result?.clock) patchState({ clock: answer.result.clock })
    return answer
  }

  // One function for every row's buttons, so a row that did not change needs no new render.
  const ticketActionRef = useLatest(ticketAction)
  const onTicketAction = useCallback((ticket, action) => ticketActionRef.current(ticket, action), [ticketActionRef])

  // The N key calls the next guest, unless the host is typing somewhere.
  const callNextRef = useLatest(callNext)
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
  }, [callNextRef])

  const transferRef = useLatest(transfer)
  const onTransfer = useCallback((...args) => transferRef.current(...args), [transferRef])
  const priorityRef = useLatest(setPriority)
  const onPriority = useCallback((...args) => priorityRef.current(...args), [priorityRef])

  return { busy, notice, callNext, onTicketAction, reprint, changeQueue, changeCounter, clearLine, sendTabletTime, onTransfer, onPriority, displayVoice, testVoice }
}
