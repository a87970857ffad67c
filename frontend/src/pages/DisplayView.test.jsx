import { act, render, screen, within } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import App from '../App.jsx'
import { nextDailyReload } from '../components/screens/useStaleReload.js'
import { FakeWebSocket } from '../test/fakeWebSocket.js'
import { queue, routeFetch } from '../test/fixtures.js'
import DisplayView from './DisplayView.jsx'
import { clockText, mergeCalls } from '../components/screens/calls.js'

const call = (seq, number, counter, type = 'call') => ({ seq, type, number, counter })

function renderDisplay(props = {}, routes = { 'GET /api/queues/q-1': () => new Promise(() => {}) }) {
  vi.stubGlobal('fetch', vi.fn(routeFetch(routes)))
  const chime = vi.fn()
  const reload = vi.fn()
  const view = render(<DisplayView queueId="q-1" chime={chime} reload={reload} {...props} />)
  return { ...view, chime, reload, ws: FakeWebSocket.last() }
}

function snapshot(ws, state = queue(), recent = [call(7, 'A9', '2'), call(6, 'A8', '1'), call(5, 'A7', '2')]) {
  act(() => {
    ws.open()
    ws.receive({ type: 'snapshot', seq: 7, state, recent })
  })
}

const nowServing = () => screen.getByRole('region', { name: 'Now serving' })

beforeEach(() => {
  FakeWebSocket.reset()
  vi.stubGlobal('WebSocket', FakeWebSocket)
})
afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
  window.history.replaceState(null, '', '/')
})

describe('DisplayView', () => {
  it('shows now serving with its counter, the previous calls, waiting count and the join QR', () => {
    const { ws } = renderDisplay()
    expect(ws.url).toMatch(/\/ws\/queues\/q-1$/)
    snapshot(ws)
    expect(within(nowServing()).getByText('A9')).toBeInTheDocument()
    expect(within(nowServing()).getByText('Counter 2')).toBeInTheDocument()
    const previous = screen.getByRole('region', { name: 'Previous calls' })
    expect(within(previous).getByText('A8')).toBeInTheDocument()
    expect(within(previous).getByText('A7')).toBeInTheDocument()
    expect(screen.getByRole('region', { name: 'Waiting' })).toHaveTextContent('Waiting3')
    expect(screen.getByText('Scan to join')).toBeInTheDocument()
    expect(screen.getByRole('img', { name: 'QR code to join the line' })).toHaveAttribute('src', '/api/queues/q-1/join-qr.svg')
    expect(screen.queryByText('Offline')).not.toBeInTheDocument()
  })

  it('updates on a call event and chimes once per new call', () => {
    const { ws, chime } = renderDisplay()
    snapshot(ws)
    expect(chime).not.toHaveBeenCalled() // a snapshot is not a new call
    act(() =>
      ws.receive({
        type: 'update',
        seq: 9,
        events: [{ seq: 8, type: 'join', number: 'A13', counter: null }, call(9, 'A10', '1')],
        state: queue({ now_serving: 'A10', waiting_count: 3, last_number_issued: 13 }),
      }),
    )
    expect(within(nowServing()).getByText('A10')).toBeInTheDocument()
    expect(within(nowServing()).getByText('Counter 1')).toBeInTheDocument()
    expect(within(screen.getByRole('region', { name: 'Previous calls' })).getByText('A9')).toBeInTheDocument()
    expect(chime).toHaveBeenCalledTimes(1)

    // A recall chimes too; an update without calls does not; a replayed event is not news.
    act(() => ws.receive({ type: 'update', seq: 10, events: [call(10, 'A8', '3', 'recall')], state: queue({ now_serving: 'A10' }) }))
    expect(within(nowServing()).getByText('A8')).toBeInTheDocument()
    expect(within(nowServing()).getByText('Counter 3')).toBeInTheDocument()
    expect(chime).toHaveBeenCalledTimes(2)
    act(() => ws.receive({ type: 'update', seq: 11, events: [{ seq: 11, type: 'join', number: 'A14', counter: null }], state: queue({ now_serving: 'A10' }) }))
    act(() => ws.receive({ type: 'update', seq: 10, events: [call(10, 'A8', '3', 'recall')], state: queue({ now_serving: 'A10' }) }))
    expect(chime).toHaveBeenCalledTimes(2)
  })

  it('shows an offline badge when the connection is not open', () => {
    const { ws } = renderDisplay()
    expect(screen.getByRole('status')).toHaveTextContent('Connecting…')
    snapshot(ws)
    expect(screen.queryByText('Offline')).not.toBeInTheDocument()
    act(() => ws.drop())
    expect(screen.getByText('Offline')).toBeInTheDocument()
    // The last known number stays on screen.
    expect(within(nowServing()).getByText('A9')).toBeInTheDocument()
  })

  it('shows a paused line with its "back in"', () => {
    const { ws } = renderDisplay()
    snapshot(ws, queue({ is_paused: true, back_in_seconds: 600 }))
    expect(screen.getByText('Paused')).toBeInTheDocument()
    expect(screen.getByText('Back in about 10 min')).toBeInTheDocument()
  })

  it('shows a closed line, and closed counters with their "back in"', () => {
    const { ws } = renderDisplay()
    snapshot(ws, queue({ active: false }))
    expect(screen.getByText('Closed')).toBeInTheDocument()
    expect(screen.getByText('This line is not taking new tickets.')).toBeInTheDocument()
    act(() =>
      ws.receive({
        type: 'update',
        seq: 8,
        events: [{ seq: 8, type: 'queue_opened', number: null, counter: null }],
        state: queue({
          counters: [
            { name: '1', is_open: true, back_in_seconds: null },
            { name: '2', is_open: false, back_in_seconds: 300 },
          ],
        }),
      }),
    )
    expect(screen.queryByText('Closed')).not.toBeInTheDocument()
    expect(screen.getByText('Counter 2 is closed, back in about 5 min')).toBeInTheDocument()
  })

  it('shows a dash before anybody is called today, without yesterday’s calls', () => {
    const { ws } = renderDisplay()
    snapshot(ws, queue({ now_serving: null, current_position: 0, last_number_issued: 0 }))
    expect(within(nowServing()).getByText('Nobody has been called yet')).toBeInTheDocument()
    expect(screen.queryByRole('region', { name: 'Previous calls' })).not.toBeInTheDocument()
  })

  it('shows the time on the TV’s own clock', () => {
    vi.useFakeTimers({ now: new Date(2026, 10, 26, 9, 5, 0) })
    renderDisplay()
    expect(screen.getByText('09:05')).toBeInTheDocument()
    act(() => vi.advanceTimersByTime(60_000))
    expect(screen.getByText('09:06')).toBeInTheDocument()
  })

  it('reloads itself after 10 minutes without a message, once the box answers', async () => {
    vi.useFakeTimers({ now: new Date(2026, 10, 26, 10, 0, 0) })
    const probe = vi.fn().mockRejectedValueOnce(new Error('offline')).mockResolvedValue(queue())
    const { ws, reload } = renderDisplay({ probe })
    snapshot(ws)
    await act(() => vi.advanceTimersByTimeAsync(9 * 60_000))
    expect(reload).not.toHaveBeenCalled()
    expect(probe).not.toHaveBeenCalled()
    // At 10 min the first probe fails (box unreachable): no reload into an error page.
    await act(() => vi.advanceTimersByTimeAsync(60_000))
    expect(probe).toHaveBeenCalledTimes(1)
    expect(reload).not.toHaveBeenCalled()
    await act(() => vi.advanceTimersByTimeAsync(15_000))
    expect(reload).toHaveBeenCalledTimes(1)
    await act(() => vi.advanceTimersByTimeAsync(5 * 60_000))
    expect(reload).toHaveBeenCalledTimes(1)
  })

  it('does not reload while messages keep arriving', async () => {
    vi.useFakeTimers({ now: new Date(2026, 10, 26, 10, 0, 0) })
    const probe = vi.fn().mockResolvedValue(queue())
    const { ws, reload } = renderDisplay({ probe })
    snapshot(ws)
    for (let i = 0; i < 30; i++) {
      await act(() => vi.advanceTimersByTimeAsync(30_000))
      act(() => ws.receive({ type: 'pong', seq: 7 }))
    }
    expect(FakeWebSocket.instances).toHaveLength(1) // the same socket, alive all along
    expect(probe).not.toHaveBeenCalled()
    expect(reload).not.toHaveBeenCalled()
  })

  it('reloads once a day at about 03:00', async () => {
    vi.useFakeTimers({ now: new Date(2026, 10, 26, 2, 58, 0) })
    const probe = vi.fn().mockResolvedValue(queue())
    const { ws, reload } = renderDisplay({ probe })
    snapshot(ws)
    await act(() => vi.advanceTimersByTimeAsync(60_000))
    act(() => FakeWebSocket.last().receive({ type: 'pong', seq: 7 }))
    expect(reload).not.toHaveBeenCalled()
    await act(() => vi.advanceTimersByTimeAsync(75_000))
    expect(reload).toHaveBeenCalledTimes(1)
  })

  it('says so when the line does not exist', () => {
    const { ws } = renderDisplay()
    act(() => ws.drop(4404))
    expect(screen.getByRole('heading', { name: 'This line does not exist' })).toBeInTheDocument()
  })

  it('is the page at /display/{queue_id}', async () => {
    vi.stubGlobal('fetch', vi.fn(routeFetch({ 'GET /api/queues/q-1': () => ({ body: queue() }) })))
    window.history.replaceState(null, '', '/display/q-1')
    render(<App />)
    expect(await screen.findByRole('heading', { name: 'Front desk' })).toBeInTheDocument()
    expect(screen.getByRole('heading', { name: 'Now serving' })).toBeInTheDocument()
  })
})

describe('display helpers', () => {
  it('merges calls newest first, drops duplicates and starts empty on a new day', () => {
    const list = mergeCalls([call(5, 'A5', '1')], [call(6, 'A6', '1'), call(5, 'A5', '1'), call(7, 'A7', '2')])
    expect(list.map((c) => c.seq)).toEqual([7, 6, 5])
    expect(mergeCalls(list, [{ seq: 8, type: 'day_started' }, call(9, 'A1', '1')]).map((c) => c.number)).toEqual(['A1'])
  })

  it('formats the clock as HH:MM and plans the nightly reload for the next 03:00', () => {
    expect(clockText(new Date(2026, 0, 1, 7, 3).getTime())).toBe('07:03')
    expect(nextDailyReload(new Date(2026, 0, 1, 2, 0).getTime())).toBe(new Date(2026, 0, 1, 3, 0).getTime())
    expect(nextDailyReload(new Date(2026, 0, 1, 3, 0).getTime())).toBe(new Date(2026, 0, 2, 3, 0).getTime())
  })
})
