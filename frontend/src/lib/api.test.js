import { afterEach, describe, expect, it, vi } from 'vitest'
import { jsonResponse } from '../test/fixtures.js'
import { ApiError, cancelTicket, createApi, getTicket, joinQueue } from './api.js'

function mockFetch(impl) {
  const fn = vi.fn(impl)
  vi.stubGlobal('fetch', fn)
  return fn
}

afterEach(() => vi.unstubAllGlobals())

describe('api', () => {
  it('turns a contract error into an ApiError with status, code and message', async () => {
    mockFetch(async () =>
      jsonResponse(409, { error: { code: 'queue_paused', message: 'This line is paused for a moment.' } }),
    )
    const err = await joinQueue('q-1', 'device-token-0123456789').catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ status: 409, code: 'queue_paused', message: 'This line is paused for a moment.' })
  })

  it('gives a readable error for an answer that is not the contract shape', async () => {
    mockFetch(async () => new Response('<html>Bad Gateway</html>', { status: 502 }))
    const err = await getTicket('t-1').catch((e) => e)
    expect(err).toMatchObject({ status: 502, code: 'http_502' })
    expect(err.message).toMatch(/went wrong/)
  })

  it('reports a network failure as code "offline"', async () => {
    mockFetch(async () => {
      throw new TypeError('Failed to fetch')
    })
    const err = await getTicket('t-1').catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ status: 0, code: 'offline' })
    expect(err.message).toMatch(/connection/i)
  })

  it('reports a request that hangs past the timeout as offline', async () => {
    vi.useFakeTimers()
    try {
      const fetchImpl = (url, { signal }) =>
        new Promise((resolve, reject) => signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))))
      const pending = createApi({ timeout: 1000, fetchImpl }).getQueue('q-1').catch((e) => e)
      await vi.advanceTimersByTimeAsync(1000)
      expect(await pending).toMatchObject({ code: 'offline' })
    } finally {
      vi.useRealTimers()
    }
  })

  it('keeps the timeout running while the body is read', async () => {
    vi.useFakeTimers()
    try {
      // Headers arrive at once; the body never does until the request is aborted.
      const fetchImpl = async (url, { signal }) => ({
        ok: true,
        status: 200,
        text: () =>
          new Promise((resolve, reject) => signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))),
      })
      let settled = false
      const pending = createApi({ timeout: 1000, fetchImpl })
        .getQueue('q-1')
        .catch((e) => e)
        .finally(() => {
          settled = true
        })
      await vi.advanceTimersByTimeAsync(999)
      expect(settled).toBe(false)
      await vi.advanceTimersByTimeAsync(1)
      const err = await pending
      expect(err).toBeInstanceOf(ApiError)
      expect(err).toMatchObject({ status: 0, code: 'offline' })
    } finally {
      vi.useRealTimers()
    }
  })

  it('reports a body that fails to read as offline, not as a null success', async () => {
    const fetchImpl = async () => ({ ok: true, status: 200, text: () => Promise.reject(new TypeError('network error')) })
    const err = await createApi({ fetchImpl }).getTicket('t-1').then(
      (value) => ({ resolved: value }),
      (e) => e,
    )
    expect(err).toBeInstanceOf(ApiError)
    expect(err).toMatchObject({ status: 0, code: 'offline' })
  })

  it('sends an Idempotency-Key and a JSON body on every POST, none on GET', async () => {
    const fetch = mockFetch(async (url, init) =>
      jsonResponse(init.method === 'POST' ? 201 : 200, { id: 't-1' }),
    )
    await joinQueue('q-1', 'device-token-0123456789')
    await cancelTicket('t-1')
    await getTicket('t-1')
    const [joinCall, cancelCall, getCall] = fetch.mock.calls
    expect(joinCall[0]).toBe('/api/queues/q-1/tickets')
    expect(joinCall[1].method).toBe('POST')
    expect(joinCall[1].headers['Idempotency-Key']).toMatch(/^[A-Za-z0-9_.:-]{1,128}$/)
    expect(joinCall[1].headers['Content-Type']).toBe('application/json')
    expect(JSON.parse(joinCall[1].body)).toEqual({ device_token: 'device-token-0123456789' })
    expect(cancelCall[0]).toBe('/api/tickets/t-1/cancel')
    expect(JSON.parse(cancelCall[1].body)).toEqual({})
    expect(cancelCall[1].headers['Idempotency-Key']).not.toBe(joinCall[1].headers['Idempotency-Key'])
    expect(getCall[1].method).toBe('GET')
    expect(getCall[1].headers['Idempotency-Key']).toBeUndefined()
  })

  it('makes an Idempotency-Key without crypto.randomUUID (plain http on the LAN)', async () => {
    vi.stubGlobal('crypto', { getRandomValues: (a) => globalThis.Uint8Array.from(a, (_, i) => i * 7) })
    const fetch = mockFetch(async () => jsonResponse(200, {}))
    await cancelTicket('t-1')
    expect(fetch.mock.calls[0][1].headers['Idempotency-Key']).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    )
  })

  it('uses the base URL and bearer token of a client', async () => {
    const fetchImpl = vi.fn(async () => jsonResponse(200, { id: 'q-1' }))
    const api = createApi({ baseUrl: 'http://192.168.1.20:8000', token: 'host-secret', fetchImpl })
    await api.request('PATCH', '/api/queues/q-1', { body: { is_paused: true } })
    const [url, init] = fetchImpl.mock.calls[0]
    expect(url).toBe('http://192.168.1.20:8000/api/queues/q-1')
    expect(init.headers.Authorization).toBe('Bearer host-secret')
    expect(init.headers['Idempotency-Key']).toBeTruthy()
  })
})
