// What the display, kiosk and setup pages need from the box, built on api.js's one client,
// plus the links they show and the tokens they keep.
import { createApi } from './api.js'

const enc = encodeURIComponent

/**
 * The calls of the screens, with `token` (admin, host or kiosk) as the bearer credential.
 * Every answer that is not 2xx is an ApiError (api.js); writes carry an Idempotency-Key.
 */
export function screensApi(token, options = {}) {
  const api = createApi({ ...options, token })
  return {
    request: api.request,
    getQueue: (queueId, opts) => api.getQueue(queueId, opts),
    /** Admin: `{"queues": [QueueOut, …]}`. */
    listQueues: (opts) => api.request('GET', '/api/queues', opts),
    /** Admin: 201 QueueOut with `host_token` and `host_url` (the only copy of both). */
    createQueue: ({ name, prefix = '' }, opts) =>
      api.request('POST', '/api/queues', { ...opts, body: { name, prefix } }),
    /** Manager or admin: a service's settings (issue 16: `nearly_up`); 200 QueueOut. */
    updateQueue: (queueId, body, opts) => api.request('PATCH', `/api/queues/${enc(queueId)}`, { ...opts, body }),
    /** Host or admin: `{host_token, host_url}`; the old host token stops working. */
    rotateHostToken: (queueId, opts) =>
      api.request('POST', `/api/queues/${enc(queueId)}/rotate-token`, { ...opts, body: {} }),
    /** Host or admin: 201 `{id, queue_id, kind, name, token}` (the only copy of the token). */
    addDevice: (queueId, { name, kind, services }, opts) =>
      api.request('POST', `/api/queues/${enc(queueId)}/devices`, {
        ...opts,
        body: services?.length ? { name, kind, services } : { name, kind },
      }),
    /** Host: `{counters: [CounterView, …]}` (issue 15: box-wide desks, each with its services). */
    listCounters: (opts) => api.request('GET', '/api/counters', opts),
    /** Admin (issue 16): the sample announcement "A042, counter 2" as a WAV Blob (setup's "Test the voice"). */
    voiceSample: (opts) => api.request('GET', '/api/voice/sample', { ...opts, binary: true }),
    /** Manager or admin: `{name, rule, services: [{queue_id, weight}]}` → 201 CounterView (closed). */
    createCounter: (body, opts) => api.request('POST', '/api/counters', { ...opts, body }),
    /** Manager or admin: `{name?, rule?, services?}`; a rename of an open counter is 409 `counter_open`. */
    patchCounter: (counterId, body, opts) => api.request('PATCH', `/api/counters/${enc(counterId)}`, { ...opts, body }),
    /** Admin: `{tokens: [HostTokenOut, …]}` (never a token or a hash). */
    listHostTokens: (opts) => api.request('GET', '/api/host-tokens', opts),
    /** Admin: `{name, role, scope, services?}` → 201 with `token` and `host_url` (the only copy). */
    createHostToken: (body, opts) => api.request('POST', '/api/host-tokens', { ...opts, body }),
    /** Admin: the token fails at once and its sockets close. */
    revokeHostToken: (tokenId, opts) => api.request('DELETE', `/api/host-tokens/${enc(tokenId)}`, opts),
    /** Host or admin: `{devices: [DeviceOut, …]}`, each with its printer, `last_seen` and `connected`. */
    listDevices: (queueId, opts) => api.request('GET', `/api/queues/${enc(queueId)}/devices`, opts),
    /** Manager or admin: `{name?, services?}` → DeviceOut; its token stays, its home service stays covered. */
    updateDevice: (queueId, deviceId, body, opts) =>
      api.request('PATCH', `/api/queues/${enc(queueId)}/devices/${enc(deviceId)}`, { ...opts, body }),
    /** Host or admin (issue 16): a display says its calls (`on`) or only chimes → DeviceOut. */
    setDeviceVoice: (queueId, deviceId, on, opts) =>
      api.request('PUT', `/api/queues/${enc(queueId)}/devices/${enc(deviceId)}/voice`, { ...opts, body: { on } }),
    /** Host or admin (issue 16): the display says the sample call now → 202 `{device_id, sent}`. */
    testDeviceVoice: (queueId, deviceId, opts) =>
      api.request('POST', `/api/queues/${enc(queueId)}/devices/${enc(deviceId)}/voice/test`, opts),
    /** Host or admin: the device's token stops working at once and its sockets close. */
    revokeDevice: (queueId, deviceId, opts) =>
      api.request('DELETE', `/api/queues/${enc(queueId)}/devices/${enc(deviceId)}`, opts),
    /** Host or admin: `{svg}`, a QR code of a link to this box (one the browser cannot draw itself). */
    linkQr: (url, opts) => api.request('POST', '/api/qr', { ...opts, body: { url } }),
    /** Kiosk: its own print job with its printer (`GET /api/device/jobs/{id}`), to tell the guest. */
    printJob: (jobId, opts) => api.request('GET', `/api/device/jobs/${enc(jobId)}`, opts),
    /** Kiosk: a ticket that belongs to no phone (no device_token); `priority: true` from its priority button. */
    issueTicket: (queueId, { priority = false, ...opts } = {}) =>
      api.request('POST', `/api/queues/${enc(queueId)}/tickets`, { ...opts, body: priority ? { priority: true } : {} }),
    /** Kiosk or display: itself, with `services: [{id, name, prefix}]`, the services it covers. */
    getDevice: (opts) => api.request('GET', '/api/device', opts),
    // issue 16, grace: a no-show's ticket scanned at the kiosk goes back in line (once, within the window)
    returnTicket: (ticketId, opts) => api.request('POST', `/api/tickets/${enc(ticketId)}/return`, { ...opts, body: {} }),
  }
}

// ---- links -------------------------------------------------------------------------------

export const paths = {
  join: (queueId) => `/join/${enc(queueId)}`,
  /** A TV's link; with a registered display's token, the host can switch and test its voice (issue 16). */
  display: (queueId, token) => `/display/${enc(queueId)}${token ? `#token=${enc(token)}` : ''}`,
  kiosk: (queueId, token) => `/kiosk/${enc(queueId)}#token=${enc(token)}`,
  /** The kiosk that offers every service its device covers. */
  kioskServices: (token) => `/kiosk#token=${enc(token)}`,
  /** The TV of several services: their ids, or every service (`null`); `voice` false: `&voice=off`;
   * with a registered display's token (issue 16), the host can switch and test its voice. */
  displayServices: (queueIds, token, voice = true) =>
    `/display?services=${queueIds ? queueIds.map(enc).join(',') : 'all'}${voice ? '' : '&voice=off'}${token ? `#token=${enc(token)}` : ''}`,
  /** The join page that lets a guest choose a service. */
  joinServices: () => '/join',
  joinQr: (queueId) => `/api/queues/${enc(queueId)}/join-qr.svg`,
  ticketQr: (ticketId) => `/api/tickets/${enc(ticketId)}/qr.svg`,
}

/** `path` on this page's own origin (the box), as a full link to copy or print. */
export function absoluteUrl(path, origin = globalThis.location?.origin ?? '') {
  return origin + path
}

// ---- tokens from the fragment -----------------------------------------------------------

export const ADMIN_TOKEN_KEY = 'qode.adminToken'
/** A one-service kiosk's token (/kiosk/{queue_id}), or the kiosk of several services' (/kiosk). */
/** A registered display's token (issue 16): per service for /display/{queue_id}, one for /display. */
export const displayTokenKey = (queueId) => (queueId ? `qode.displayToken.${queueId}` : 'qode.displayToken')
export const kioskTokenKey = (queueId) => (queueId ? `qode.kioskToken.${queueId}` : 'qode.kioskToken')

const memory = new Map() // when localStorage is blocked: the token lives as long as the page

function storage() {
  try {
    return globalThis.localStorage ?? null
  } catch {
    return null
  }
}

export function readToken(key) {
  const store = storage()
  if (store) {
    try {
      return store.getItem(key) ?? memory.get(key) ?? null
    } catch {
      // blocked storage: fall through to memory
    }
  }
  return memory.get(key) ?? null
}

export function saveToken(key, token) {
  const store = storage()
  try {
    if (store) {
      store.setItem(key, token)
      memory.delete(key)
      return
    }
  } catch {
    // storage full or blocked: memory keeps it for this page
  }
  memory.set(key, token)
}

export function forgetToken(key) {
  memory.delete(key)
  try {
    storage()?.removeItem(key)
  } catch {
    // nothing to forget
  }
}

/** The `token` in a fragment such as `#token=abc`, or null. */
export function fragmentToken(hash) {
  const text = String(hash ?? '').replace(/^#/, '')
  if (!text) return null
  const token = new URLSearchParams(text).get('token')
  return token ? token.trim() || null : null
}

/**
 * Move `#token=…` from the address into storage under `key` and take the fragment off the
 * address (it would otherwise stay in the history and on screen). Returns the token to use:
 * the fragment's, else the one saved before, else null.
 */
export function takeFragmentToken(key, location = globalThis.location, history = globalThis.history) {
  const fromFragment = fragmentToken(location?.hash)
  if (fromFragment) {
    saveToken(key, fromFragment)
    try {
      history?.replaceState(history.state, '', `${location.pathname}${location.search}`)
    } catch {
      // an address we cannot rewrite keeps its fragment; the token is saved all the same
    }
    return fromFragment
  }
  return readToken(key)
}
