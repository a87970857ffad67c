import { act, render, screen, within } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import App from '../App.jsx'
import { nextDailyReload } from '../components/screens/useStaleReload.js'
import { FakeWebSocket } from '../test/fakeWebSocket.js'
import { fakeAudio, queue, routeFetch } from '../test/fixtures.js'
import DisplayView from './DisplayView.jsx'
import { MOST_TILES, clockText, counterTiles, fitWidthEm, measureEm, textWidthEm, tileGrid } from '../components/screens/calls.js'

const call = (seq, number, counter, type = 'call') => ({ seq, type, number, counter })
const active = (seq, number, counter) => ({ seq, number, counter })
// Three counters calling: A9 at counter 2 is the newest.
const calling = () => [active(7, 'A9', '2'), active(6, 'A8', '1'), active(5, 'A7', '3')]

function renderDisplay(props = {}, routes = { 'GET /api/queues/q-1': () => new Promise(() => {}) }) {
  vi.stubGlobal('fetch', vi.fn(routeFetch(routes)))
  const chime = vi.fn()
  const reload = vi.fn()
  // voice off: these tests are about the chime and the tiles (the voice: announcer.test.js and below)
  const view = render(<DisplayView queueId="q-1" chime={chime} reload={reload} search="?voice=off" {...props} />)
  return { ...view, chime, reload, ws: FakeWebSocket.last() }
}

function snapshot(ws, state = queue({ calls: calling() }), recent = [call(7, 'A9', '2'), call(6, 'A8', '1'), call(5, 'A7', '3')]) {
  act(() => {
    ws.open()
    ws.receive({ type: 'snapshot', seq: 7, state, recent })
  })
}

const nowServing = () => screen.getByRole('region', { name: 'Now serving' })
/** The tiles as [number, label, newest] in screen order. */
const tiles = () =>
  within(nowServing())
    .queryAllByRole('listitem')
    .map((li) => [li.querySelector('.tv-number').textContent, li.querySelector('.tv-counter')?.textContent ?? null, li.dataset.newest === 'true'])

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
  it('shows every counter’s current call in counter order, the newest highlighted, the waiting count and the join QR', () => {
    const { ws } = renderDisplay()
    expect(ws.url).toMatch(/\/ws\/queues\/q-1$/)
    snapshot(ws)
    expect(tiles()).toEqual([
      ['A8', 'Counter 1', false],
      ['A9', 'Counter 2', true],
      ['A7', 'Counter 3', false],
    ])
    expect(screen.getByText('A9').closest('li')).toHaveClass('tv-tile-newest')
    expect(screen.getByText('A8').closest('li')).not.toHaveClass('tv-tile-newest')
    expect(screen.queryByRole('region', { name: 'Previous calls' })).not.toBeInTheDocument()
    expect(screen.getByRole('region', { name: 'Waiting' })).toHaveTextContent('Waiting3')
    expect(screen.getByText('Scan to join')).toBeInTheDocument()
    expect(screen.getByRole('img', { name: 'QR code to join the line' })).toHaveAttribute('src', '/api/queues/q-1/join-qr.svg')
    expect(screen.queryByText('Offline')).not.toBeInTheDocument()
  })

  it('with voice on, says each new call and recall after its chime, one after the other (issue 16)', async () => {
    const { made, makeAudio } = fakeAudio()
    const { ws, chime } = renderDisplay({ search: '', makeAudio })
    chime.mockReturnValue(true)
    snapshot(ws)
    act(() => ws.receive({ type: 'update', seq: 9, events: [call(9, 'A10', '1')], state: queue({ calls: [active(9, 'A10', '1'), ...calling()] }) }))
    act(() => ws.receive({ type: 'update', seq: 10, events: [call(10, 'A7', '3', 'recall')], state: queue({ calls: [active(10, 'A7', '3'), active(9, 'A10', '1')] }) }))
    expect(chime).toHaveBeenCalledTimes(1) // the recall waits for the first call to be said
    await act(() => new Promise((resolve) => setTimeout(resolve, 1200)))
    expect(made.map((a) => a.url)).toEqual(['/api/queues/q-1/calls/9/voice'])
    await act(async () => made[0].end())
    expect(chime).toHaveBeenCalledTimes(2)
    await act(() => new Promise((resolve) => setTimeout(resolve, 1200)))
    expect(made.map((a) => a.url)).toEqual(['/api/queues/q-1/calls/9/voice', '/api/queues/q-1/calls/10/voice'])
    await act(async () => made[1].end())
    expect(document.documentElement.dataset.voicePlayed).toBe('2')
  })

  it('moves the highlight to each new call, chimes once per new call, and drops a guest who left', () => {
    const { ws, chime } = renderDisplay()
    snapshot(ws)
    expect(chime).not.toHaveBeenCalled() // a snapshot is not a new call
    act(() =>
      ws.receive({
        type: 'update',
        seq: 9,
        events: [{ seq: 8, type: 'join', number: 'A13', counter: null }, call(9, 'A10', '1')],
        state: queue({ now_serving: 'A10', waiting_count: 3, last_number_issued: 13, calls: [active(9, 'A10', '1'), active(7, 'A9', '2'), active(5, 'A7', '3')] }),
      }),
    )
    expect(tiles()).toEqual([
      ['A10', 'Counter 1', true],
      ['A9', 'Counter 2', false],
      ['A7', 'Counter 3', false],
    ])
    expect(chime).toHaveBeenCalledTimes(1)
    expect(screen.getByText('Now serving A10 at counter 1.')).toBeInTheDocument() // said to screen readers

    // A recall chimes too and is the newest again; an update without calls does not chime; a replayed event is not news.
    act(() => ws.receive({ type: 'update', seq: 10, events: [call(10, 'A7', '3', 'recall')], state: queue({ calls: [active(10, 'A7', '3'), active(9, 'A10', '1'), active(7, 'A9', '2')] }) }))
    expect(tiles().map(([number, , newest]) => [number, newest])).toEqual([['A10', false], ['A9', false], ['A7', true]])
    expect(chime).toHaveBeenCalledTimes(2)
    act(() => ws.receive({ type: 'update', seq: 11, events: [{ seq: 11, type: 'join', number: 'A14', counter: null }], state: queue({ calls: [active(10, 'A7', '3'), active(9, 'A10', '1'), active(7, 'A9', '2')] }) }))
    act(() => ws.receive({ type: 'update', seq: 10, events: [call(10, 'A7', '3', 'recall')], state: queue({ calls: [active(10, 'A7', '3')] }) }))
    expect(chime).toHaveBeenCalledTimes(2)
    expect(tiles()).toHaveLength(3) // the older update changed nothing

    // The guest at counter 2 cancels, counter 3 is done: their tiles go; no chime.
    act(() => ws.receive({ type: 'update', seq: 12, events: [call(12, 'A9', null, 'cancel')], state: queue({ calls: [active(10, 'A7', '3'), active(9, 'A10', '1')] }) }))
    expect(tiles().map(([number]) => number)).toEqual(['A10', 'A7'])
    expect(screen.queryByText('A9')).not.toBeInTheDocument()
    act(() => ws.receive({ type: 'update', seq: 13, events: [call(13, 'A7', '3', 'complete')], state: queue({ calls: [active(9, 'A10', '1')] }) }))
    expect(tiles()).toEqual([['A10', 'Counter 1', true]])
    act(() => ws.receive({ type: 'update', seq: 14, events: [call(14, 'A10', '1', 'no_show')], state: queue({ now_serving: 'A10', calls: [] }) }))
    expect(tiles()).toEqual([])
    expect(within(nowServing()).getByText('Nobody has been called yet')).toBeInTheDocument()
    expect(chime).toHaveBeenCalledTimes(2)
  })

  it('shows an offline badge when the connection is not open', () => {
    const { ws } = renderDisplay()
    expect(screen.getByRole('status')).toHaveTextContent('Connecting…')
    snapshot(ws)
    expect(screen.queryByText('Offline')).not.toBeInTheDocument()
    act(() => ws.drop())
    expect(screen.getByText('Offline')).toBeInTheDocument()
    // The last known calls stay on screen.
    expect(tiles().map(([number]) => number)).toEqual(['A8', 'A9', 'A7'])
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
    snapshot(ws, queue({ now_serving: null, current_position: 0, last_number_issued: 0, calls: [] }))
    expect(within(nowServing()).getByText('Nobody has been called yet')).toBeInTheDocument()
    expect(tiles()).toEqual([])
  })

  it('sizes every number and label from the longest, for the tile to fit them on one line', () => {
    const { ws } = renderDisplay()
    snapshot(ws, queue({ calls: [active(3, 'WWMM001', '12'), active(2, 'WWMM002', '2')] }))
    const numbers = document.querySelectorAll('.tv-number')
    expect([...numbers].map((n) => n.style.getPropertyValue('--w'))).toEqual([textWidthEm('WWMM001').toFixed(3), textWidthEm('WWMM001').toFixed(3)])
    const labels = document.querySelectorAll('.tv-counter')
    expect([...labels].map((n) => n.style.getPropertyValue('--w'))).toEqual([textWidthEm('Counter 12').toFixed(3), textWidthEm('Counter 12').toFixed(3)])
    const grid = within(nowServing()).getByRole('list')
    expect(grid.style.getPropertyValue('--rows-l')).toBe('2')
    expect(grid.style.getPropertyValue('--rows-p')).toBe('2')
  })

  it('leaves a slot for the venue’s brand and footer', () => {
    const { ws } = renderDisplay({ brand: <span>Venue logo</span>, footer: <p>Open 9 to 5</p> })
    snapshot(ws)
    expect(screen.getByText('Venue logo')).toBeInTheDocument()
    expect(screen.getByText('Open 9 to 5')).toBeInTheDocument()
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
  it('shows per counter its newest active call, sorted by counter, and says which is the newest', () => {
    const { tiles: shown, newest } = counterTiles({
      calls: [active(20, 'A20', '10'), active(21, 'A21', '2'), active(15, 'A15', '1'), active(19, 'A19', '2')],
    })
    // Old data with two calls at counter 2: the newer (seq 21) stands for it; counters in natural order.
    expect(shown.map((c) => [c.counter, c.number])).toEqual([['1', 'A15'], ['2', 'A21'], ['10', 'A20']])
    expect(newest.number).toBe('A21')
  })

  it('shows nothing for a counter whose guest left or was served (not in the state’s calls)', () => {
    expect(counterTiles({ calls: [] })).toEqual({ tiles: [], newest: null })
    expect(counterTiles(null)).toEqual({ tiles: [], newest: null })
    const { tiles: shown } = counterTiles({ calls: [active(3, 'B3', '1'), { seq: 4, number: '', counter: '2' }, null] })
    expect(shown.map((c) => c.number)).toEqual(['B3'])
  })

  it('keeps the newest calls when more counters call than fit, and falls back to now_serving without calls', () => {
    const many = Array.from({ length: MOST_TILES + 3 }, (_, i) => active(i + 1, `C${i + 1}`, String(i + 1)))
    const { tiles: shown, newest } = counterTiles({ calls: many })
    expect(shown).toHaveLength(MOST_TILES)
    expect(shown.map((c) => c.number)).not.toContain('C1') // the oldest three go
    expect(newest.number).toBe(`C${MOST_TILES + 3}`)
    expect(counterTiles({ now_serving: 'A9' }).tiles.map((c) => [c.number, c.counter])).toEqual([['A9', null]])
    expect(counterTiles({ now_serving: null }).tiles).toEqual([])
  })

  it('sizes by the measured width with 8 % to spare, never above the safe estimate', () => {
    expect(fitWidthEm('A001', 900, () => 2.5)).toBeCloseTo(2.7)
    expect(fitWidthEm('A001', 900, () => null)).toBe(textWidthEm('A001'))
    expect(fitWidthEm('A001', 900, () => 99)).toBe(textWidthEm('A001'))
    expect(measureEm('A001', 900)).toBeNull() // jsdom draws nothing: the estimate stands
  })

  it('estimates text widths on the wide side and plans the tile grid', () => {
    expect(textWidthEm('001')).toBeCloseTo(2.16)
    expect(textWidthEm('WWMM001')).toBeGreaterThan(textWidthEm('ABCD001'))
    expect(textWidthEm('ABCD001')).toBeGreaterThan(textWidthEm('A001'))
    expect(textWidthEm('')).toBe(1)
    expect(tileGrid(1)).toEqual({ count: 1, landscape: { cols: 1, rows: 1 }, portrait: { cols: 1, rows: 1 } })
    expect(tileGrid(4).landscape).toEqual({ cols: 1, rows: 4 })
    expect(tileGrid(6)).toEqual({ count: 6, landscape: { cols: 2, rows: 3 }, portrait: { cols: 1, rows: 6 } })
    expect(tileGrid(0).count).toBe(1)
  })

  it('formats the clock as HH:MM and plans the nightly reload for the next 03:00', () => {
    expect(clockText(new Date(2026, 0, 1, 7, 3).getTime())).toBe('07:03')
    expect(nextDailyReload(new Date(2026, 0, 1, 2, 0).getTime())).toBe(new Date(2026, 0, 1, 3, 0).getTime())
    expect(nextDailyReload(new Date(2026, 0, 1, 3, 0).getTime())).toBe(new Date(2026, 0, 2, 3, 0).getTime())
  })
})
