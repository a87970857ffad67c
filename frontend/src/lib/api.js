// The one HTTP client. Every answer that is not 2xx becomes an ApiError carrying the
// contract's {"error": {"code", "message"}}; a request that never got an answer has the
// code "offline".
import { t } from './strings.js'
import { uuid } from './random.js'

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message)
    this.name = 'ApiError'
    this.status = status
    this.code = code
  }
}

const WRITES = new Set(['POST', 'PATCH', 'PUT', 'DELETE'])

/**
 * A client for the box at `baseUrl` (same origin when empty). `token` is sent as a bearer
 * credential; `timeout` (ms) turns a request that hangs (Wi-Fi gone mid-flight) into "offline".
 */
export function createApi({ baseUrl = '', token = null, timeout = 15000, fetchImpl } = {}) {
  async function request(method, path, { body, raw, token: callToken, idempotencyKey, signal, binary } = {}) {
    const headers = { Accept: 'application/json' }
    const credential = callToken ?? token
    if (credential) headers.Authorization = `Bearer ${credential}`
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    // A file sent as it is (the venue's logo), with its own type.
    if (raw !== undefined) headers['Content-Type'] = raw.type || 'application/octet-stream'
    // Safe to retry: the server answers a repeated key with the first answer.
    if (WRITES.has(method)) headers['Idempotency-Key'] = idempotencyKey ?? uuid()

    const controller = new AbortController()
    const onAbort = () => controller.abort()
    signal?.addEventListener('abort', onAbort)
    const timer = timeout ? setTimeout(() => controller.abort(), timeout) : null
    const doFetch = fetchImpl ?? globalThis.fetch
    let response
    let text
    try {
      response = await doFetch(baseUrl + path, {
        method,
        headers,
        body: raw !== undefined ? raw : body === undefined ? undefined : JSON.stringify(body),
        signal: controller.signal,
        cache: 'no-store',
      })
      // The timeout covers the body too: headers can arrive and the body stall (Wi-Fi gone).
      // A body that cannot be read is no answer, not an empty success.
      // `binary` (issue 16: audio): a successful answer's body as a Blob; an error's is JSON as ever.
      if (binary && response.ok) return await response.blob()
      text = await response.text()
    } catch (err) {
      if (signal?.aborted) throw err
      throw new ApiError(0, 'offline', t('error.offline'))
    } finally {
      if (timer) clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
    }

    let data = null
    if (text) {
      try {
        data = JSON.parse(text)
      } catch {
        data = null
      }
    }
    if (!response.ok) {
      const detail = data?.error
      const code = typeof detail?.code === 'string' ? detail.code : `http_${response.status}`
      const message = typeof detail?.message === 'string' && detail.message ? detail.message : t('error.generic')
      const err = new ApiError(response.status, code, message)
      err.body = data // e.g. a 503 /healthz still says what is wrong
      throw err
    }
    if (data === null && text) throw new ApiError(response.status, 'bad_response', t('error.generic'))
    return data
  }

  const id = (value) => encodeURIComponent(value)
  return {
    request,
    getQueue: (queueId, options) => request('GET', `/api/queues/${id(queueId)}`, options),
    getTicket: (ticketId, options) => request('GET', `/api/tickets/${id(ticketId)}`, options),
    /** A ticket for this phone; `priority: true` where the service offers it on the join page. */
    joinQueue: (queueId, deviceToken, { priority = false, ...options } = {}) =>
      request('POST', `/api/queues/${id(queueId)}/tickets`, {
        ...options,
        body: priority ? { device_token: deviceToken, priority: true } : { device_token: deviceToken },
      }),
    /** Anyone: `{services: [{id, name, prefix, active, is_paused, waiting_count, eta_seconds, priority_on_join, …}]}`. */
    listServices: (options) => request('GET', '/api/services', options),
    cancelTicket: (ticketId, options) =>
      request('POST', `/api/tickets/${id(ticketId)}/cancel`, { ...options, body: {} }),
    /** issue 16: sms. `{available, phone}`: whether the box can text, and the number kept, masked. */
    getPhone: (ticketId, options) => request('GET', `/api/tickets/${id(ticketId)}/phone`, options),
    putPhone: (ticketId, phone, options) =>
      request('PUT', `/api/tickets/${id(ticketId)}/phone`, { ...options, body: { phone } }),
    deletePhone: (ticketId, options) => request('DELETE', `/api/tickets/${id(ticketId)}/phone`, options),
    /** issue 16: "I'm running late". `use`: the press meant (late_uses + 1): a retry never moves twice. */
    runningLate: (ticketId, use, options) =>
      request('POST', `/api/tickets/${id(ticketId)}/late`, { ...options, body: { use } }),
  }
}

const sameOrigin = createApi()

export const request = sameOrigin.request
export const getQueue = sameOrigin.getQueue
export const getTicket = sameOrigin.getTicket
export const joinQueue = sameOrigin.joinQueue
export const cancelTicket = sameOrigin.cancelTicket
export const getPhone = sameOrigin.getPhone
export const putPhone = sameOrigin.putPhone
export const deletePhone = sameOrigin.deletePhone
export const runningLate = sameOrigin.runningLate
export const listServices = sameOrigin.listServices
