// The host's calls, built on api.js's request(): the host token goes in as the bearer
// credential, and every write carries an Idempotency-Key (a fresh one unless the caller
// passes `idempotencyKey`, e.g. to retry a call whose answer was lost).
import { request } from './api.js'
import { fetchFile } from './download.js'

const enc = (value) => encodeURIComponent(value)

// 'return' (issue 16, grace): a no-show back in line, once, within the box's window.
export const TICKET_MOVES = ['serve', 'complete', 'no-show', 'requeue', 'return']

export function createHostApi(queueId, token) {
  const queuePath = `/api/queues/${enc(queueId)}`
  const host = (options = {}) => ({ ...options, token })

  return {
    /** The service day's tickets, in number order. */
    listTickets: async (options) => (await request('GET', `${queuePath}/tickets`, host(options)))?.tickets ?? [],
    /** The public queue state (no credential needed). */
    getQueue: (options) => request('GET', queuePath, options),
    /** /healthz: its `clock` says whether the box's time can be believed. */
    health: (options) => request('GET', '/healthz', options),
    /** The line's kiosks and displays, with each kiosk's printer as it last reported it. */
    listDevices: async (options) => (await request('GET', `${queuePath}/devices`, host(options)))?.devices ?? [],

    /** Issue 16: a display of this line says its calls (`on`) or only chimes → the device. */
    setDeviceVoice: (deviceId, on, options) =>
      request('PUT', `${queuePath}/devices/${enc(deviceId)}/voice`, host({ ...options, body: { on } })),
    /** Issue 16: the display says the sample call now (409 `display_offline` when it is not on line). */
    testDeviceVoice: (deviceId, options) => request('POST', `${queuePath}/devices/${enc(deviceId)}/voice/test`, host(options)),

    callNext: (counter, options) => request('POST', `${queuePath}/call-next`, host({ ...options, body: { counter } })),
    /** serve, complete, no-show, requeue or return. */
    move: (ticketId, action, options) => {
      if (!TICKET_MOVES.includes(action)) throw new Error(`unknown move ${action}`)
      return request('POST', `/api/tickets/${enc(ticketId)}/${action}`, host({ ...options, body: {} }))
    },
    /** Call this ticket now (out of turn, or again); without a counter it keeps its own. */
    recall: (ticketId, counter, options) =>
      request('POST', `/api/tickets/${enc(ticketId)}/recall`, host({ ...options, body: counter ? { counter } : {} })),
    cancel: (ticketId, options) => request('POST', `/api/tickets/${enc(ticketId)}/cancel`, host({ ...options, body: {} })),
    /** Print this ticket again on a kiosk (`deviceId`, or one the box picks) → the print job. */
    reprint: (ticketId, deviceId, options) =>
      request('POST', `/api/tickets/${enc(ticketId)}/reprint`, host({ ...options, body: deviceId ? { device_id: deviceId } : {} })),

    /** {active?, is_paused?, back_in_minutes?, …} → the queue state. */
    updateQueue: (changes, options) => request('PATCH', queuePath, host({ ...options, body: changes })),
    /** Open or close a counter → the queue state. */
    setCounter: (counter, open, backInMinutes, options) => {
      const body = { counter, open }
      if (!open && backInMinutes) body.back_in_minutes = backInMinutes
      return request('POST', `${queuePath}/counters`, host({ ...options, body }))
    },
    /** Cancel everyone waiting, or only {source, joined_after} → {cancelled, queue}. One transaction. */
    cancelWaiting: (filter, options) => request('POST', `${queuePath}/cancel-waiting`, host({ ...options, body: filter ?? {} })),
    /** End of the day: close the line and cancel everyone waiting → {cancelled, queue}. */
    closeAndClear: (options) => request('POST', `${queuePath}/close-and-clear`, host({ ...options, body: {} })),
    /** Give the box this tablet's time (ISO 8601 with an offset or Z). */
    setClock: (now, options) => request('POST', '/api/clock', host({ ...options, body: { now } })),
    ...ticketMoves(token),
    /** The box's services: [{id, name, prefix, active, …}] in their display order. */
    listServices: async (options) => (await request('GET', '/api/services', host(options)))?.services ?? [],
  }
}

/** Issue 15's ticket writes, the same for one service's dashboard and a counter's desk. */
function ticketMoves(token) {
  const host = (options = {}) => ({ ...options, token })
  return {
    /** Send a ticket to another service; `placement` "original" | "end", or null for the target's default. */
    transfer: (ticketId, queueId, placement, options) =>
      request('POST', `/api/tickets/${enc(ticketId)}/transfer`, host({ ...options, body: placement ? { queue_id: queueId, placement } : { queue_id: queueId } })),
    /** Any service's public state (its `transfer_placement` is where a transfer into it goes by default). */
    serviceState: (queueId, options) => request('GET', `/api/queues/${enc(queueId)}`, options),
    /** Give a WAITING ticket priority, or take it away. */
    setPriority: (ticketId, priority, options) =>
      request('POST', `/api/tickets/${enc(ticketId)}/priority`, host({ ...options, body: { priority: Boolean(priority) } })),
  }
}

/**
 * A counter's desk (/host with a token that may cover several services): the counters and
 * services the token can see, a counter session (open, call next by the counter's rule, close)
 * and each service's waiting tickets in its call order.
 */
export function createDeskApi(token) {
  const host = (options = {}) => ({ ...options, token })
  const counterPath = (id) => `/api/counters/${enc(id)}`
  return {
    listCounters: async (options) => (await request('GET', '/api/counters', host(options)))?.counters ?? [],
    listServices: async (options) => (await request('GET', '/api/services', host(options)))?.services ?? [],
    /** One service's WAITING tickets in the order its counters will call them, with `people_ahead`. */
    callOrder: async (queueId, options) =>
      (await request('GET', `/api/queues/${enc(queueId)}/tickets?order=call`, host(options)))?.tickets ?? [],
    /** Open the counter for this session: `services` [{queue_id, weight?}] in order, optional `staff`. */
    openCounter: (counterId, { services, staff }, options) => {
      const body = { services }
      if (staff) body.staff = staff
      return request('POST', `${counterPath(counterId)}/open`, host({ ...options, body }))
    },
    closeCounter: (counterId, options) => request('POST', `${counterPath(counterId)}/close`, host({ ...options, body: {} })),
    /** The counter's next guest by its rule across its services → the ticket, `ended` and `reason`. */
    callNext: (counterId, options) => request('POST', `${counterPath(counterId)}/call-next`, host({ ...options, body: {} })),
    /** serve, complete, no-show, requeue or return. */
    move: (ticketId, action, options) => {
      if (!TICKET_MOVES.includes(action)) throw new Error(`unknown move ${action}`)
      return request('POST', `/api/tickets/${enc(ticketId)}/${action}`, host({ ...options, body: {} }))
    },
    ...ticketMoves(token),
  }
}

/**
 * The day's figures the token may read (GET /api/stats, scoped to its services by the box): per
 * service, counter and staff name; and the same rows as a CSV file, fetched with the token in the
 * Authorization header.
 */
export function createStatsApi(token) {
  return {
    /** `{day, rows, services}` of the box's service day. */
    figures: (options) => request('GET', '/api/stats', { ...options, token }),
    /** `{blob, filename}`: the rows as CSV (the file name from the box, or null). */
    csv: () => fetchFile('/api/stats?format=csv', { token }),
  }
}

/**
 * `queueId` → a promise of that service's default placement for transfers into it ("original" or
 * "end"), asked once per service (again after a failure).
 */
export function placementOf(api, services = null) {
  const known = new Map()
  // GET /api/services says it for each service; an older answer without it: ask the service.
  for (const s of services ?? []) if (s?.transfer_placement) known.set(s.id, Promise.resolve(s.transfer_placement))
  return (queueId) => {
    if (!known.has(queueId)) {
      const asked = api.serviceState(queueId).then(
        (queue) => queue?.transfer_placement ?? 'original',
        (err) => {
          known.delete(queueId)
          throw err
        },
      )
      known.set(queueId, asked)
    }
    return known.get(queueId)
  }
}

/** Where a desk tablet (/host) keeps its token, and the counter it last opened. */
export const DESK_TOKEN_KEY = 'qode.hostDesk.token'
export const DESK_COUNTER_KEY = 'qode.hostDesk.counter'

/** Where this tablet keeps the host token of `queueId`. */
export const tokenKey = (queueId) => `qode.host.${queueId}.token`
/** Where it keeps the counter the host works at. */
export const counterKey = (queueId) => `qode.host.${queueId}.counter`

function storage() {
  try {
    return globalThis.localStorage ?? null
  } catch {
    return null // storage blocked (private mode in some browsers)
  }
}

export function readStored(key) {
  try {
    return storage()?.getItem(key) ?? null
  } catch {
    return null
  }
}

export function writeStored(key, value) {
  try {
    storage()?.setItem(key, value)
  } catch {
    // full or blocked: the page still works for this visit
  }
}

/** The `#token=…` of a host link in `location`, or null. Reading it changes nothing. */
export function linkToken(location = globalThis.location) {
  const hash = location?.hash ?? ''
  if (hash.length <= 1) return null
  return new URLSearchParams(hash.slice(1)).get('token')?.trim() || null
}

/**
 * Take `#token=…` off the address bar (keeping any other fragment parameters), so it does
 * not linger in the history or get shared with a screenshot.
 */
export function dropLinkToken(location = globalThis.location, history = globalThis.history) {
  const hash = location?.hash ?? ''
  if (hash.length <= 1) return
  const params = new URLSearchParams(hash.slice(1))
  if (!params.has('token')) return
  params.delete('token')
  const rest = params.toString()
  try {
    history?.replaceState(history.state, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`)
  } catch {
    // some embedded browsers refuse; the token is still only kept once the box accepts it
  }
}

/** The host token saved for `queueId`, or null. */
export const readHostToken = (queueId) => readStored(tokenKey(queueId)) || null

/**
 * Save `token` for `queueId`. Only once the box has accepted it: an old or mistyped link
 * must not overwrite a saved token that works.
 */
export const saveHostToken = (queueId, token) => writeStored(tokenKey(queueId), token)
