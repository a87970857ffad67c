// The paths of useWebSocket that only a phone or tablet in the field takes: a tab that slept
// (its clock jumped, its timers did not run), a network that went away and came back.
// The clock is the hook's `now` option, moved by hand; the timers are Vitest's fake ones.
import { act, renderHook } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeWebSocket } from '../test/fakeWebSocket.js'
import { ticket } from '../test/fixtures.js'
import { DEFAULTS, useWebSocket } from './useWebSocket.js'

const MINUTE = 60000

let clock
let online

beforeEach(() => {
  vi.useFakeTimers()
  FakeWebSocket.reset()
  clock = 1_000_000
  online = true
  Object.defineProperty(navigator, 'onLine', { configurable: true, get: () => online })
})
afterEach(() => {
  vi.useRealTimers()
  delete navigator.onLine // back to jsdom's own (on the prototype)
  delete document.visibilityState
})

function setup(options = {}) {
  return renderHook(() =>
    useWebSocket('/ws/tickets/t-1', { WebSocketImpl: FakeWebSocket, random: () => 1, now: () => clock, ...options }),
  )
}
const sockets = () => FakeWebSocket.instances
const snapshot = (seq = 5, fields = {}) => ({ type: 'snapshot', seq, ticket: ticket(fields) })

function serve(ws, message = snapshot()) {
  act(() => {
    ws.open()
    ws.receive(message)
  })
}

/** A tab asleep for `ms`: the clock moves, no timer runs. */
function sleep(ms) {
  clock += ms
}

// Every way the page learns it is awake again.
const WAKE_UPS = {
  visibilitychange() {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' })
    act(() => document.dispatchEvent(new Event('visibilitychange')))
  },
  'pageshow from the bfcache'() {
    const restored = new Event('pageshow')
    Object.defineProperty(restored, 'persisted', { value: true })
    act(() => window.dispatchEvent(restored))
  },
  online() {
    act(() => window.dispatchEvent(new Event('online')))
    act(() => vi.advanceTimersByTime(DEFAULTS.onlineJitter)) // random() = 1: the longest spread
  },
}

/** A socket heard from, then a long sleep during which the server closed it, then a fresh one open. */
function wokenOnFreshSocket() {
  const view = setup()
  serve(sockets()[0])
  sleep(10 * MINUTE)
  act(() => sockets()[0].drop())
  act(() => vi.advanceTimersByTime(DEFAULTS.base)) // the first retry: attempt 0, random() = 1
  expect(sockets()).toHaveLength(2)
  act(() => sockets()[1].open()) // open, but its snapshot has not come yet
  return view
}

describe('useWebSocket: waking up on a fresh socket (lastHeardAt)', () => {
  it.each(Object.keys(WAKE_UPS))('a wake-up by %s on a fresh socket without its snapshot never kills it', (wake) => {
    const { result } = wokenOnFreshSocket()
    const fresh = sockets()[1]

    WAKE_UPS[wake]()
    // The old socket's last message is ten minutes old; the fresh socket is not judged by it.
    expect(fresh.closedByClient).toBe(false)
    expect(sockets()).toHaveLength(2)
    expect(fresh.sent).toEqual([]) // no probe either: its connect timeout guards it

    // Well past the probe's timeout, still the same socket; then its snapshot arrives.
    act(() => vi.advanceTimersByTime(DEFAULTS.probeTimeout + 1000))
    expect(fresh.closedByClient).toBe(false)
    act(() => fresh.receive(snapshot(9, { people_ahead: 1 })))
    expect(result.current.connection).toBe('open')
    expect(result.current.state.people_ahead).toBe(1)
    expect(sockets()).toHaveLength(2)
  })

  it('a second wake-up soon after the fresh socket got its snapshot probes it and keeps it', () => {
    wokenOnFreshSocket()
    const fresh = sockets()[1]
    WAKE_UPS.visibilitychange()
    act(() => fresh.receive(snapshot(9)))
    sleep(1000)
    WAKE_UPS.visibilitychange()
    expect(fresh.sent).toEqual([{ type: 'ping' }])
    act(() => fresh.receive({ type: 'pong', seq: 9 }))
    act(() => vi.advanceTimersByTime(DEFAULTS.probeTimeout))
    expect(fresh.closedByClient).toBe(false)
    expect(sockets()).toHaveLength(2)
  })

  it('a fresh socket that never brings its snapshot is still given up after connectTimeout', () => {
    const { result } = wokenOnFreshSocket()
    WAKE_UPS.visibilitychange()
    act(() => vi.advanceTimersByTime(DEFAULTS.connectTimeout - 1))
    expect(sockets()[1].closedByClient).toBe(false)
    act(() => vi.advanceTimersByTime(1))
    expect(sockets()[1].closedByClient).toBe(true)
    expect(result.current.connection).toBe('reconnecting')
    // A failed attempt: the backoff goes on (second retry: 1 s).
    act(() => vi.advanceTimersByTime(999))
    expect(sockets()).toHaveLength(2)
    act(() => vi.advanceTimersByTime(1))
    expect(sockets()).toHaveLength(3)
  })
})

describe('useWebSocket: a socket that slept', () => {
  it.each(Object.keys(WAKE_UPS))('is replaced at once on %s when it was silent beyond deadAfter', (wake) => {
    const { result } = setup()
    serve(sockets()[0])
    sleep(DEFAULTS.deadAfter + 1)
    WAKE_UPS[wake]()
    expect(sockets()[0].closedByClient).toBe(true)
    expect(sockets()[0].sent).toEqual([]) // no probe: it is known dead
    expect(sockets()).toHaveLength(2)
    expect(new URL(sockets()[1].url).search).toBe('?since=5')
    expect(result.current.connection).toBe('reconnecting')
    serve(sockets()[1], { type: 'update', seq: 6, ticket: { people_ahead: 0 } })
    expect(result.current.connection).toBe('open')
    expect(result.current.state.people_ahead).toBe(0)
  })

  it('is probed on wake when it was heard within deadAfter, and kept when the pong comes', () => {
    setup()
    serve(sockets()[0])
    sleep(DEFAULTS.deadAfter)
    WAKE_UPS.visibilitychange()
    expect(sockets()[0].sent).toEqual([{ type: 'ping' }])
    WAKE_UPS.visibilitychange() // a second wake-up does not stack a second probe
    act(() => vi.advanceTimersByTime(DEFAULTS.probeTimeout - 1))
    act(() => sockets()[0].receive({ type: 'pong', seq: 5 }))
    act(() => vi.advanceTimersByTime(DEFAULTS.probeTimeout))
    expect(sockets()[0].closedByClient).toBe(false)
    expect(sockets()).toHaveLength(1)
  })

  it('does not start a second socket on a wake-up while one is still connecting', () => {
    setup()
    WAKE_UPS.visibilitychange()
    WAKE_UPS['pageshow from the bfcache']()
    expect(sockets()).toHaveLength(1)
    expect(sockets()[0].closedByClient).toBe(false)
  })

  it('ignores a pageshow that is not a restore from the bfcache', () => {
    setup()
    serve(sockets()[0])
    sleep(DEFAULTS.deadAfter + 1)
    act(() => window.dispatchEvent(new Event('pageshow')))
    expect(sockets()).toHaveLength(1)
    expect(sockets()[0].sent).toEqual([])
  })
})

describe('useWebSocket: offline and back', () => {
  it('says offline at once on the offline event while no socket is open', () => {
    const { result } = setup()
    expect(result.current.connection).toBe('connecting')
    online = false
    act(() => window.dispatchEvent(new Event('offline')))
    expect(result.current.connection).toBe('offline')
  })

  it('says offline on the offline event while a fresh socket awaits its snapshot, and keeps that socket', () => {
    const { result } = wokenOnFreshSocket()
    online = false
    act(() => window.dispatchEvent(new Event('offline')))
    expect(result.current.connection).toBe('offline')
    expect(sockets()[1].closedByClient).toBe(false)
    expect(sockets()[1].sent).toEqual([])
    act(() => sockets()[1].receive(snapshot(9)))
    expect(result.current.connection).toBe('open')
    expect(sockets()).toHaveLength(2)
  })

  it('probes an open socket on the offline event and keeps it if it answers', () => {
    const { result } = setup()
    serve(sockets()[0])
    online = false
    act(() => window.dispatchEvent(new Event('offline')))
    expect(sockets()[0].sent).toEqual([{ type: 'ping' }])
    expect(result.current.connection).toBe('open') // the box may be on the same wifi still
    act(() => sockets()[0].receive({ type: 'pong', seq: 5 }))
    act(() => vi.advanceTimersByTime(DEFAULTS.probeTimeout))
    expect(sockets()[0].closedByClient).toBe(false)
    expect(result.current.connection).toBe('open')
  })

  it('replaces an open socket that does not answer after the offline event, and says offline', () => {
    const { result } = setup()
    serve(sockets()[0])
    online = false
    act(() => window.dispatchEvent(new Event('offline')))
    act(() => vi.advanceTimersByTime(DEFAULTS.probeTimeout))
    expect(sockets()[0].closedByClient).toBe(true)
    expect(sockets()).toHaveLength(2) // tried again at once (a dead socket is no failed attempt)
    expect(result.current.connection).toBe('offline')
  })

  it('says offline when the socket closes while offline, and keeps backing off', () => {
    const { result } = setup()
    serve(sockets()[0])
    online = false
    act(() => sockets()[0].drop())
    expect(result.current.connection).toBe('offline')
    expect(result.current.state.display_number).toBe('A12') // the last state stays on screen
    // Each attempt fails while offline: 500 ms, 1 s, 2 s, 4 s … (random() = 1).
    for (const [n, wait] of [500, 1000, 2000, 4000].entries()) {
      act(() => vi.advanceTimersByTime(wait - 1))
      expect(sockets()).toHaveLength(n + 1)
      act(() => vi.advanceTimersByTime(1))
      expect(sockets()).toHaveLength(n + 2)
      act(() => FakeWebSocket.last().drop())
      expect(result.current.connection).toBe('offline')
    }
  })

  it('caps the backoff while offline for long', () => {
    setup()
    online = false
    const waits = []
    for (let i = 0; i < 8; i++) {
      act(() => FakeWebSocket.last().drop())
      expect(vi.getTimerCount()).toBe(1) // only the retry is pending
      const before = Date.now() // Vitest's fake clock
      act(() => vi.advanceTimersToNextTimer())
      waits.push(Date.now() - before)
    }
    expect(waits).toEqual([500, 1000, 2000, 4000, 8000, 15000, 15000, 15000])
    expect(sockets()).toHaveLength(9)
  })

  it('on the online event resets the backoff and reconnects within the jitter', () => {
    const { result } = setup()
    serve(sockets()[0])
    online = false
    act(() => sockets()[0].drop())
    for (const wait of [500, 1000, 2000]) {
      act(() => vi.advanceTimersByTime(wait))
      act(() => FakeWebSocket.last().drop())
    }
    expect(sockets()).toHaveLength(4) // the next retry would wait 4 s
    online = true
    act(() => window.dispatchEvent(new Event('online')))
    act(() => vi.advanceTimersByTime(DEFAULTS.onlineJitter - 1))
    expect(sockets()).toHaveLength(4)
    act(() => vi.advanceTimersByTime(1))
    expect(sockets()).toHaveLength(5)
    serve(sockets()[4])
    expect(result.current.connection).toBe('open')
    // The backoff starts again from the base.
    act(() => sockets()[4].drop())
    expect(result.current.connection).toBe('reconnecting')
    act(() => vi.advanceTimersByTime(499))
    expect(sockets()).toHaveLength(5)
    act(() => vi.advanceTimersByTime(1))
    expect(sockets()).toHaveLength(6)
  })

  it('keeps the last state while the REST fallback fails offline, and tries every period', async () => {
    const fallback = vi.fn(async () => ticket({ people_ahead: 4 }))
    const { result } = setup({ fallback })
    await act(async () => {})
    serve(sockets()[0], snapshot(5, { people_ahead: 2 }))
    online = false
    fallback.mockRejectedValue(Object.assign(new Error('offline'), { code: 'offline' }))
    act(() => sockets()[0].drop())
    await act(async () => vi.advanceTimersByTimeAsync(3 * DEFAULTS.fallbackEvery))
    expect(fallback).toHaveBeenCalledTimes(4) // once at the start, then every period while down
    expect(result.current.state.people_ahead).toBe(2)
    expect(result.current.error).toBeNull()
    expect(result.current.connection).toBe('offline')
  })
})

describe('useWebSocket: another path', () => {
  it('starts over: connecting, the old error gone, a socket to the new path', () => {
    const { result, rerender } = renderHook(({ path }) => useWebSocket(path, { WebSocketImpl: FakeWebSocket, now: () => clock }), {
      initialProps: { path: '/ws/tickets/gone' },
    })
    act(() => sockets()[0].drop(4404))
    expect(result.current.error).toEqual({ code: 'not_found', closeCode: 4404 })
    expect(result.current.connection).toBe('offline')
    rerender({ path: '/ws/tickets/t-2' })
    expect(result.current.error).toBeNull()
    expect(result.current.connection).toBe('connecting')
    expect(sockets()).toHaveLength(2)
    expect(new URL(sockets()[1].url).pathname).toBe('/ws/tickets/t-2')
    serve(sockets()[1])
    expect(result.current.connection).toBe('open')
  })
})
