import { act, renderHook } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeWebSocket } from '../test/fakeWebSocket.js'
import { ticket } from '../test/fixtures.js'
import { applyMessage, backoffDelay, socketUrl, useWebSocket } from './useWebSocket.js'

describe('backoffDelay', () => {
  it('grows exponentially from the base', () => {
    const top = { random: () => 1 }
    expect([0, 1, 2, 3, 4].map((n) => backoffDelay(n, top))).toEqual([500, 1000, 2000, 4000, 8000])
    expect(backoffDelay(2, { base: 100, cap: 10000, random: () => 1 })).toBe(400)
  })

  it('never exceeds the cap', () => {
    expect(backoffDelay(5, { random: () => 1 })).toBe(15000)
    for (let attempt = 0; attempt < 200; attempt++) {
      for (const r of [0, 0.3, 0.999, 1]) {
        expect(backoffDelay(attempt, { random: () => r })).toBeLessThanOrEqual(15000)
        expect(backoffDelay(attempt, { random: () => r, jitter: 'equal' })).toBeLessThanOrEqual(15000)
      }
    }
    expect(backoffDelay(1e9, { random: () => 1 })).toBe(15000)
  })

  it('keeps full jitter within [0, ceiling]', () => {
    expect(backoffDelay(3, { random: () => 0 })).toBe(0)
    expect(backoffDelay(3, { random: () => 1 })).toBe(4000)
    expect(backoffDelay(3, { random: () => 0.5 })).toBe(2000)
  })

  it('keeps equal jitter within [ceiling/2, ceiling]', () => {
    expect(backoffDelay(3, { random: () => 0, jitter: 'equal' })).toBe(2000)
    expect(backoffDelay(3, { random: () => 1, jitter: 'equal' })).toBe(4000)
    expect(backoffDelay(10, { random: () => 0, jitter: 'equal' })).toBe(7500)
  })
})

describe('socketUrl', () => {
  it('turns a path into a ws URL on this host, with since when known', () => {
    const location = { href: 'http://192.168.1.20:8000/t/abc' }
    expect(socketUrl('/ws/tickets/abc', null, location)).toBe('ws://192.168.1.20:8000/ws/tickets/abc')
    expect(socketUrl('/ws/queues/q', 41, location)).toBe('ws://192.168.1.20:8000/ws/queues/q?since=41')
    expect(socketUrl('/ws/queues/q', 0, { href: 'https://box.example/' })).toBe('wss://box.example/ws/queues/q?since=0')
  })
})

describe('applyMessage', () => {
  it('replaces on snapshot and merges updates', () => {
    let r = applyMessage(null, null, { type: 'snapshot', seq: 5, ticket: ticket() })
    expect(r).toMatchObject({ seq: 5, changed: true })
    expect(r.state.people_ahead).toBe(3)
    r = applyMessage(r.state, r.seq, { type: 'update', seq: 7, ticket: { people_ahead: 1 } })
    expect(r.state).toMatchObject({ people_ahead: 1, display_number: 'A12' })
    expect(r.seq).toBe(7)
  })

  it('uses state for queue channels and ignores pong, error and older updates', () => {
    const start = { name: 'Front desk', waiting_count: 2 }
    expect(applyMessage(start, 9, { type: 'update', seq: 10, events: [], state: { waiting_count: 3 } }).state)
      .toEqual({ name: 'Front desk', waiting_count: 3 })
    expect(applyMessage(start, 9, { type: 'pong', seq: 99 })).toEqual({ state: start, seq: 9, changed: false })
    expect(applyMessage(start, 9, { type: 'error', seq: 99, error: {} }).changed).toBe(false)
    expect(applyMessage(start, 9, { type: 'update', seq: 8, state: { waiting_count: 0 } }).changed).toBe(false)
    // ETA refreshes come with the last log position: same seq, still news.
    expect(applyMessage(start, 9, { type: 'update', seq: 9, state: { eta_seconds: 60 } }).changed).toBe(true)
  })
})

describe('useWebSocket', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    FakeWebSocket.reset()
  })
  afterEach(() => {
    vi.useRealTimers()
    delete document.visibilityState
  })

  function setup(options = {}) {
    return renderHook(() =>
      useWebSocket('/ws/tickets/t-1', { WebSocketImpl: FakeWebSocket, random: () => 1, ...options }),
    )
  }
  const sockets = () => FakeWebSocket.instances
  const path = (ws) => new URL(ws.url).pathname + new URL(ws.url).search

  function serve(ws, message = { type: 'snapshot', seq: 5, ticket: ticket() }) {
    act(() => {
      ws.open()
      ws.receive(message)
    })
  }

  it('connects, takes the snapshot and applies updates', () => {
    const { result } = setup()
    expect(result.current.connection).toBe('connecting')
    expect(path(sockets()[0])).toBe('/ws/tickets/t-1')
    serve(sockets()[0])
    expect(result.current.connection).toBe('open')
    expect(result.current.state.display_number).toBe('A12')
    act(() => sockets()[0].receive({ type: 'update', seq: 6, ticket: { status: 'CALLED', counter: '2' } }))
    expect(result.current.state).toMatchObject({ status: 'CALLED', counter: '2', display_number: 'A12' })
    act(() => sockets()[0].receive({ type: 'pong', seq: 90 }))
    expect(result.current.state.status).toBe('CALLED')
  })

  it('reconnects after the backoff delay when the socket closes', () => {
    const { result } = setup()
    serve(sockets()[0])
    act(() => sockets()[0].drop())
    expect(result.current.connection).toBe('reconnecting')
    act(() => vi.advanceTimersByTime(499))
    expect(sockets()).toHaveLength(1)
    act(() => vi.advanceTimersByTime(1))
    expect(sockets()).toHaveLength(2)
    // That one fails too: the next wait doubles.
    act(() => sockets()[1].drop())
    act(() => vi.advanceTimersByTime(999))
    expect(sockets()).toHaveLength(2)
    act(() => vi.advanceTimersByTime(1))
    expect(sockets()).toHaveLength(3)
    serve(sockets()[2])
    expect(result.current.connection).toBe('open')
  })

  it('resumes with ?since=<last seq>', () => {
    setup()
    serve(sockets()[0])
    act(() => {
      sockets()[0].receive({ type: 'update', seq: 7, ticket: { people_ahead: 2 } })
      sockets()[0].receive({ type: 'pong', seq: 50 }) // a pong's seq is not this channel's
      sockets()[0].drop()
    })
    act(() => vi.advanceTimersByTime(500))
    expect(path(sockets()[1])).toBe('/ws/tickets/t-1?since=7')
  })

  it('reconnects at once on online, visibilitychange and pageshow', () => {
    setup()
    serve(sockets()[0])
    act(() => sockets()[0].drop())
    act(() => window.dispatchEvent(new Event('online')))
    act(() => vi.advanceTimersByTime(1000)) // online waits up to onlineJitter (random() = 1 here)
    expect(sockets()).toHaveLength(2)
    // No second socket from the backoff retry and the online wake together.
    act(() => vi.advanceTimersByTime(5000))
    expect(sockets()).toHaveLength(2)

    act(() => sockets()[1].drop())
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' })
    act(() => document.dispatchEvent(new Event('visibilitychange')))
    expect(sockets()).toHaveLength(3)

    act(() => sockets()[2].drop())
    const restored = new Event('pageshow')
    Object.defineProperty(restored, 'persisted', { value: true })
    act(() => window.dispatchEvent(restored))
    expect(sockets()).toHaveLength(4)
  })

  it('resets the backoff only after a socket stayed open 30 s, not on its first message', () => {
    setup()
    serve(sockets()[0])
    act(() => sockets()[0].drop())
    act(() => vi.advanceTimersByTime(500))
    expect(sockets()).toHaveLength(2)
    // The server sends the snapshot and drops us at once (a slow client): keep backing off.
    serve(sockets()[1])
    act(() => sockets()[1].drop())
    act(() => vi.advanceTimersByTime(999))
    expect(sockets()).toHaveLength(2)
    act(() => vi.advanceTimersByTime(1))
    expect(sockets()).toHaveLength(3)
    serve(sockets()[2])
    act(() => sockets()[2].drop())
    act(() => vi.advanceTimersByTime(1999))
    expect(sockets()).toHaveLength(3)
    act(() => vi.advanceTimersByTime(1))
    expect(sockets()).toHaveLength(4)
    // This one stays up for 30 s (answering pings): the next drop starts again at 500 ms.
    serve(sockets()[3])
    act(() => vi.advanceTimersByTime(20000))
    act(() => sockets()[3].receive({ type: 'pong', seq: 5 }))
    act(() => vi.advanceTimersByTime(10000))
    act(() => sockets()[3].drop())
    act(() => vi.advanceTimersByTime(499))
    expect(sockets()).toHaveLength(4)
    act(() => vi.advanceTimersByTime(1))
    expect(sockets()).toHaveLength(5)
  })

  it('spreads the reconnect on online over [0, 1 s] with the injected random', () => {
    setup({ random: () => 0.3, base: 20000, cap: 20000 }) // backoff retry at 6 s, online at 300 ms
    serve(sockets()[0])
    act(() => sockets()[0].drop())
    act(() => window.dispatchEvent(new Event('online')))
    act(() => vi.advanceTimersByTime(299))
    expect(sockets()).toHaveLength(1)
    act(() => vi.advanceTimersByTime(1))
    expect(sockets()).toHaveLength(2)
    act(() => vi.advanceTimersByTime(6000)) // past the backoff retry, before connectTimeout
    expect(sockets()).toHaveLength(2) // the backoff retry was replaced, not added
  })

  it('reports rate_limited on 4429 and retries no sooner than 60 s, then clears it', () => {
    const { result } = setup({ random: () => 0 })
    serve(sockets()[0])
    act(() => sockets()[0].drop(4429))
    expect(result.current.error).toEqual({ code: 'rate_limited', closeCode: 4429 })
    expect(result.current.connection).toBe('reconnecting')
    // Nothing wakes it early: not the network coming back, not the tab becoming visible.
    act(() => window.dispatchEvent(new Event('online')))
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' })
    act(() => document.dispatchEvent(new Event('visibilitychange')))
    act(() => vi.advanceTimersByTime(59999))
    expect(sockets()).toHaveLength(1)
    act(() => vi.advanceTimersByTime(1))
    expect(sockets()).toHaveLength(2)
    serve(sockets()[1])
    expect(result.current.error).toBeNull()
    expect(result.current.connection).toBe('open')
  })

  it('probes an open socket on wake and replaces it when no pong comes', () => {
    setup()
    serve(sockets()[0])
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' })
    act(() => document.dispatchEvent(new Event('visibilitychange')))
    expect(sockets()[0].sent).toEqual([{ type: 'ping' }])
    act(() => vi.advanceTimersByTime(5000))
    expect(sockets()[0].closedByClient).toBe(true)
    expect(sockets()).toHaveLength(2)
  })

  it('refreshes over REST while disconnected and stops once open again', async () => {
    const fallback = vi.fn(async () => ticket({ people_ahead: 2 }))
    const { result } = setup({ fallback })
    await act(async () => {}) // the first refresh happens at once
    expect(fallback).toHaveBeenCalledTimes(1)
    expect(result.current.state.people_ahead).toBe(2)

    serve(sockets()[0])
    await act(async () => vi.advanceTimersByTimeAsync(30000))
    expect(fallback).toHaveBeenCalledTimes(1)

    act(() => sockets()[0].drop())
    await act(async () => vi.advanceTimersByTimeAsync(10000))
    expect(fallback).toHaveBeenCalledTimes(2)
    fallback.mockResolvedValue(ticket({ people_ahead: 1 }))
    await act(async () => vi.advanceTimersByTimeAsync(10000))
    expect(fallback).toHaveBeenCalledTimes(3)
    expect(result.current.state.people_ahead).toBe(1)
    expect(result.current.connection).toBe('reconnecting')

    serve(FakeWebSocket.last(), { type: 'snapshot', seq: 9, ticket: ticket({ people_ahead: 0 }) })
    expect(result.current.connection).toBe('open')
    await act(async () => vi.advanceTimersByTimeAsync(40000))
    expect(fallback).toHaveBeenCalledTimes(3)
    expect(result.current.state.people_ahead).toBe(0)
  })

  it('pings every 20 s and closes and replaces a socket silent beyond deadAfter', () => {
    const { result } = setup()
    serve(sockets()[0])
    act(() => vi.advanceTimersByTime(20000))
    expect(sockets()[0].sent).toEqual([{ type: 'ping' }])
    act(() => vi.advanceTimersByTime(39999))
    expect(sockets()).toHaveLength(1)
    act(() => vi.advanceTimersByTime(1))
    expect(sockets()[0].closedByClient).toBe(true)
    expect(sockets()).toHaveLength(2)
    expect(path(sockets()[1])).toBe('/ws/tickets/t-1?since=5')
    expect(result.current.connection).toBe('reconnecting')
  })

  it('keeps a socket that answers its pings', () => {
    setup({ deadAfter: 30000 })
    serve(sockets()[0])
    for (let i = 0; i < 10; i++) {
      act(() => vi.advanceTimersByTime(20000))
      act(() => sockets()[0].receive({ type: 'pong', seq: 5 }))
    }
    expect(sockets()).toHaveLength(1)
    expect(sockets()[0].closedByClient).toBe(false)
  })

  it('gives a socket that never opens up after connectTimeout and backs off', () => {
    setup({ connectTimeout: 3000 })
    act(() => vi.advanceTimersByTime(3000))
    expect(sockets()[0].closedByClient).toBe(true)
    expect(sockets()).toHaveLength(1)
    act(() => vi.advanceTimersByTime(500))
    expect(sockets()).toHaveLength(2)
  })

  it('stops for good on 4404 and reports not_found', () => {
    const { result } = setup()
    act(() => sockets()[0].drop(4404))
    expect(result.current.error).toEqual({ code: 'not_found', closeCode: 4404 })
    expect(result.current.connection).toBe('offline')
    act(() => vi.advanceTimersByTime(120000))
    act(() => window.dispatchEvent(new Event('online')))
    expect(sockets()).toHaveLength(1)
  })

  it('reports not_found when the REST fallback answers 404', async () => {
    const fallback = vi.fn(async () => {
      throw Object.assign(new Error('gone'), { status: 404 })
    })
    const { result } = setup({ fallback })
    await act(async () => {})
    expect(result.current.error?.code).toBe('not_found')
    expect(sockets()[0].closedByClient).toBe(true)
  })

  it('closes its socket and listeners on unmount', () => {
    const { unmount } = setup()
    serve(sockets()[0])
    unmount()
    expect(sockets()[0].closedByClient).toBe(true)
    act(() => window.dispatchEvent(new Event('online')))
    act(() => vi.advanceTimersByTime(60000))
    expect(sockets()).toHaveLength(1)
  })
})

describe('useWebSocket on an authenticated channel', () => {
  beforeEach(() => {
    vi.useFakeTimers()
    FakeWebSocket.reset()
  })
  afterEach(() => vi.useRealTimers())

  const hostSelect = (m) => (m?.state ? { queue: m.state, tickets: m.tickets } : null)

  it('sends {"type": "auth", "token"} first on every connection, never the token in the URL', () => {
    const { result } = renderHook(() =>
      useWebSocket('/ws/host/q-1', { WebSocketImpl: FakeWebSocket, random: () => 1, authToken: 'host-secret-token-123', select: hostSelect }),
    )
    const first = FakeWebSocket.last()
    expect(first.url).not.toContain('host-secret-token-123')
    act(() => first.open())
    expect(first.sent).toEqual([{ type: 'auth', token: 'host-secret-token-123' }])
    act(() => first.receive({ type: 'snapshot', seq: 3, state: { name: 'Front desk' }, tickets: [{ id: 't-1' }] }))
    expect(result.current.state).toEqual({ queue: { name: 'Front desk' }, tickets: [{ id: 't-1' }] })
    act(() => vi.advanceTimersByTime(20000))
    expect(first.sent).toEqual([{ type: 'auth', token: 'host-secret-token-123' }, { type: 'ping' }])

    act(() => first.drop())
    act(() => vi.advanceTimersByTime(500))
    const second = FakeWebSocket.last()
    expect(second).not.toBe(first)
    expect(new URL(second.url).search).toBe('?since=3')
    act(() => second.open())
    expect(second.sent[0]).toEqual({ type: 'auth', token: 'host-secret-token-123' })
  })

  it('sends no auth message without authToken', () => {
    renderHook(() => useWebSocket('/ws/queues/q-1', { WebSocketImpl: FakeWebSocket }))
    act(() => FakeWebSocket.last().open())
    expect(FakeWebSocket.last().sent).toEqual([])
  })

  it('stops and reports unauthorized on 4401', () => {
    const { result } = renderHook(() =>
      useWebSocket('/ws/host/q-1', { WebSocketImpl: FakeWebSocket, authToken: 'wrong-token-0000000' }),
    )
    act(() => FakeWebSocket.last().open())
    act(() => FakeWebSocket.last().drop(4401))
    expect(result.current.error).toEqual({ code: 'unauthorized', closeCode: 4401 })
    act(() => vi.advanceTimersByTime(60000))
    expect(FakeWebSocket.instances).toHaveLength(1)
  })
})
