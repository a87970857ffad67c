// Issue 16 (nearly): the guest page's "you're nearly up" with a fake socket (the real-server proof
// is tests/test_nearly_up_e2e.py): the alert once per crossing, the favicon, the "turn on sound"
// step after the first tap, and the wake lock or "keep this page open".
import { act, fireEvent, render, screen, waitFor } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeWebSocket, live } from '../test/fakeWebSocket.js'
import { routeFetch, ticket } from '../test/fixtures.js'
import GuestView from './GuestView.jsx'

class FakeAudioContext {
  static made = 0
  constructor() {
    FakeAudioContext.made += 1
    this.state = 'running'
    this.currentTime = 0
    this.destination = {}
  }
  resume() {
    return Promise.resolve()
  }
  createGain() {
    return { gain: { value: 1, setValueAtTime() {}, exponentialRampToValueAtTime() {} }, connect: (x) => x }
  }
  createOscillator() {
    return { frequency: {}, connect: (x) => x, start() {}, stop() {} }
  }
}

function renderGuest(first = ticket({ people_ahead: 6 })) {
  vi.stubGlobal('fetch', vi.fn(routeFetch({ 'GET /api/tickets/t-1': () => ({ body: first }) })))
  const view = render(<GuestView ticketId="t-1" />)
  return view
}

const icon = () => document.querySelector('link[rel="icon"]')?.getAttribute('href') ?? ''
const alerts = () => Number(document.documentElement.dataset.qodeAlerts ?? 0)

beforeEach(() => {
  FakeWebSocket.reset()
  vi.stubGlobal('WebSocket', FakeWebSocket)
  navigator.vibrate = vi.fn(() => true)
  delete document.documentElement.dataset.qodeAlerts
})
afterEach(() => {
  vi.unstubAllGlobals()
  delete navigator.vibrate
  delete navigator.wakeLock
})

describe('GuestView: nearly up', () => {
  it('alerts once when crossing into N ahead and once when called; title and favicon follow', async () => {
    renderGuest()
    await screen.findByText('A12')
    live({ type: 'snapshot', seq: 1, ticket: ticket({ people_ahead: 6 }) })
    await waitFor(() => expect(document.title).toBe('A12 · 6 ahead'))
    expect(icon()).toBe('data:,')
    live({ type: 'update', seq: 2, ticket: ticket({ people_ahead: 4 }) })
    expect(navigator.vibrate).not.toHaveBeenCalled()
    expect(screen.queryByTestId('nearly-up')).toBeNull()

    live({ type: 'update', seq: 3, ticket: ticket({ people_ahead: 3 }) })
    expect(screen.getByTestId('nearly-up')).toHaveTextContent('You’re nearly up')
    await waitFor(() => expect(document.title).toBe('3 ahead · A12'))
    await waitFor(() => expect(decodeURIComponent(icon())).toContain('>3</text>'))
    expect(navigator.vibrate).toHaveBeenCalledTimes(1)
    expect(alerts()).toBe(1)
    live({ type: 'update', seq: 4, ticket: ticket({ people_ahead: 2 }) })
    live({ type: 'update', seq: 5, ticket: ticket({ people_ahead: 1, eta_seconds: 90 }) })
    await waitFor(() => expect(decodeURIComponent(icon())).toContain('>1</text>'))
    expect(navigator.vibrate).toHaveBeenCalledTimes(1) // once per crossing, not per update
    expect(alerts()).toBe(1)

    live({ type: 'update', seq: 6, ticket: ticket({ status: 'CALLED', people_ahead: 0, counter: '2', called_at: '2026-11-26T10:20:00Z' }) })
    await waitFor(() => expect(document.title).toBe('▶ Your turn · A12'))
    await waitFor(() => expect(decodeURIComponent(icon())).toContain('<path'))
    expect(navigator.vibrate).toHaveBeenCalledTimes(2)
    expect(document.documentElement.dataset.qodeAlert).toBe('called')
    expect(alerts()).toBe(2)
  })

  it('N = 0: no "nearly up", only the call', async () => {
    renderGuest(ticket({ people_ahead: 2, nearly_up: 0 }))
    await screen.findByText('A12')
    live({ type: 'update', seq: 2, ticket: ticket({ people_ahead: 1, nearly_up: 0 }) })
    live({ type: 'update', seq: 3, ticket: ticket({ people_ahead: 0, nearly_up: 0 }) })
    expect(screen.queryByTestId('nearly-up')).toBeNull()
    expect(navigator.vibrate).not.toHaveBeenCalled()
    expect(icon()).toBe('data:,')
  })

  it('says plainly when the browser has no sound', async () => {
    renderGuest()
    await screen.findByText('A12')
    fireEvent.keyDown(document.body, { key: 'Tab' })
    await userEvent.click(await screen.findByRole('button', { name: 'Turn on sound' }))
    // jsdom has no AudioContext (this test runs before the one that stubs it: sound.js keeps its context)
    expect(screen.getByTestId('sound-unavailable')).toHaveTextContent('This browser can’t play sound here.')
    expect(screen.queryByTestId('sound-on')).toBeNull()
  })

  it('shows "turn on sound" only after the first tap; the button unlocks the sound and says so', async () => {
    vi.stubGlobal('AudioContext', FakeAudioContext)
    renderGuest()
    await screen.findByText('A12')
    expect(screen.queryByRole('button', { name: 'Turn on sound' })).toBeNull()
    fireEvent.click(document.body)
    const button = await screen.findByRole('button', { name: 'Turn on sound' })
    expect(screen.getByText('So this phone can beep when you’re nearly up and when it’s your turn.')).toBeInTheDocument()
    await userEvent.click(button)
    expect(screen.getByTestId('sound-on').closest('[role="status"]')).not.toBeNull() // a screen reader hears it
    expect(screen.getByTestId('sound-on')).toHaveTextContent('Sound is on')
    expect(screen.getByTestId('sound-on')).toHaveFocus() // the pressed button is gone: focus is on its answer
    expect(screen.queryByRole('button', { name: 'Turn on sound' })).toBeNull()
    expect(FakeAudioContext.made).toBeGreaterThan(0)
  })

  it('keeps the screen on with a wake lock in a secure context, else says "keep this page open"', async () => {
    const release = vi.fn()
    navigator.wakeLock = { request: vi.fn(async () => ({ release, addEventListener() {} })) }
    vi.stubGlobal('isSecureContext', true)
    const view = renderGuest()
    await screen.findByText('A12')
    await waitFor(() => expect(screen.getByTestId('stay-open')).toHaveTextContent('The screen stays on while this page is open.'))
    expect(navigator.wakeLock.request).toHaveBeenCalledWith('screen')
    view.unmount()
    expect(release).toHaveBeenCalled()

    vi.stubGlobal('isSecureContext', false)
    navigator.wakeLock.request.mockClear()
    renderGuest()
    await screen.findByText('A12')
    await act(async () => {})
    expect(screen.getByTestId('stay-open')).toHaveTextContent('Keep this page open. It updates by itself.')
    expect(navigator.wakeLock.request).not.toHaveBeenCalled()
  })

  it('says "keep this page open" when the browser refuses the wake lock', async () => {
    navigator.wakeLock = { request: vi.fn(async () => { throw new DOMException('no', 'NotAllowedError') }) }
    vi.stubGlobal('isSecureContext', true)
    renderGuest()
    await screen.findByText('A12')
    await act(async () => {})
    expect(navigator.wakeLock.request).toHaveBeenCalled()
    expect(screen.getByTestId('stay-open')).toHaveTextContent('Keep this page open.')
  })
})
