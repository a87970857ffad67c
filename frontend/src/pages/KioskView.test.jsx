import { act, fireEvent, render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { getLanguage, setLanguage } from '../lib/strings.js'
import { resetVenue } from '../lib/venue.js'
import App from '../App.jsx'
import { FakeWebSocket } from '../test/fakeWebSocket.js'
import { queue, routeFetch, ticket } from '../test/fixtures.js'
import KioskView from './KioskView.jsx'

const KEY = 'qode.kioskToken.q-1'
const TOKEN = 'kiosk-token-0123456789abcdef'
let fetchMock

function renderKiosk(routes, { token = TOKEN, resetAfter } = {}) {
  fetchMock = vi.fn(routeFetch({ 'GET /api/queues/q-1': () => new Promise(() => {}), ...routes }))
  vi.stubGlobal('fetch', fetchMock)
  if (token) localStorage.setItem(KEY, token)
  window.history.replaceState(null, '', '/kiosk/q-1')
  const view = render(resetAfter ? <KioskView queueId="q-1" resetAfter={resetAfter} /> : <KioskView queueId="q-1" />)
  return { ...view, ws: FakeWebSocket.last() }
}

function live(ws, state = queue()) {
  act(() => {
    ws.open()
    ws.receive({ type: 'snapshot', seq: 3, state, recent: [] })
  })
}

const takeButton = () => screen.queryByRole('button', { name: 'Take a ticket' })
const kioskTicket = () => ({ status: 201, body: ticket({ id: 't-42', display_number: 'A042', source: 'kiosk', people_ahead: 2 }) })

beforeEach(() => {
  FakeWebSocket.reset()
  vi.stubGlobal('WebSocket', FakeWebSocket)
})
afterEach(() => {
  resetVenue()
  setLanguage('en')
  vi.useRealTimers()
  vi.unstubAllGlobals()
  window.history.replaceState(null, '', '/')
})

describe('KioskView', () => {
  it('hands over to the kiosk of several services when setup gives it more, with the same token', async () => {
    const device = (services) => ({ body: { id: 'd-1', kind: 'kiosk', name: 'Door', queue_id: 'q-1', queue_name: 'Front desk', services } })
    const one = [{ id: 'q-1', name: 'Front desk', prefix: 'A' }]
    let covers = one
    const asked = vi.fn(() => device(covers))
    vi.useFakeTimers({ shouldAdvanceTime: true })
    const { ws } = renderKiosk({ 'GET /api/device': asked, 'POST /api/queues/q-1/tickets': kioskTicket }, { resetAfter: 120 })
    live(ws)
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1000)
    })
    expect(asked).toHaveBeenCalledTimes(1)
    expect(asked.mock.calls[0][0].headers.Authorization).toBe(`Bearer ${TOKEN}`)
    expect(window.location.pathname).toBe('/kiosk/q-1') // one service: it stays
    // A guest takes a ticket; setup's change comes while the number is on screen: it waits for them.
    fireEvent.click(takeButton())
    expect(await screen.findByText('A042')).toBeInTheDocument()
    covers = [...one, { id: 'q-3', name: 'Payments', prefix: 'Y' }]
    await act(async () => {
      await vi.advanceTimersByTimeAsync(60 * 1000) // setup's change shows within a minute
    })
    expect(asked).toHaveBeenCalledTimes(2)
    expect(window.location.pathname).toBe('/kiosk/q-1')
    expect(screen.getByText('A042')).toBeInTheDocument()
    fireEvent.click(screen.getByRole('button', { name: /Done/ }))
    await act(async () => {})
    expect(window.location.pathname).toBe('/kiosk')
    expect(localStorage.getItem('qode.kioskToken')).toBe(TOKEN)
  })

  it('issues a ticket with the kiosk token and shows the number and its QR code', async () => {
    const issue = vi.fn(kioskTicket)
    const { ws } = renderKiosk({ 'POST /api/queues/q-1/tickets': issue })
    expect(ws.url).toMatch(/\/ws\/queues\/q-1$/)
    live(ws)
    expect(screen.getByRole('heading', { name: 'Front desk' })).toBeInTheDocument()
    expect(screen.getByText('3 people waiting')).toBeInTheDocument()

    await userEvent.click(takeButton())
    expect(await screen.findByText('A042')).toBeInTheDocument()
    expect(screen.getByRole('img', { name: 'QR code of ticket A042' })).toHaveAttribute('src', '/api/tickets/t-42/qr.svg')
    expect(screen.getByText('Scan to follow your turn on your phone')).toBeInTheDocument()
    expect(screen.getByText('2 people ahead of you')).toBeInTheDocument()
    expect(takeButton()).not.toBeInTheDocument()

    const init = issue.mock.calls[0][0]
    expect(JSON.parse(init.body)).toEqual({})
    expect(init.headers.Authorization).toBe(`Bearer ${TOKEN}`)
    expect(init.headers['Idempotency-Key']).toBeTruthy()
  })

  it('goes back to the start after 15 seconds, with a visible countdown', async () => {
    vi.useFakeTimers()
    const { ws } = renderKiosk({ 'POST /api/queues/q-1/tickets': kioskTicket })
    live(ws)
    fireEvent.click(takeButton())
    await act(() => vi.advanceTimersByTimeAsync(0))
    expect(screen.getByText('A042')).toBeInTheDocument()
    expect(screen.getByText('Back to the start in 15 seconds')).toBeInTheDocument()
    await act(() => vi.advanceTimersByTimeAsync(5_000))
    expect(screen.getByText('Back to the start in 10 seconds')).toBeInTheDocument()
    await act(() => vi.advanceTimersByTimeAsync(9_000))
    expect(screen.getByText('Back to the start in 1 second')).toBeInTheDocument()
    await act(() => vi.advanceTimersByTimeAsync(1_000))
    expect(screen.queryByText('A042')).not.toBeInTheDocument()
    expect(takeButton()).toHaveFocus()
  })

  it('goes back to the start at once on "Done"', async () => {
    const { ws } = renderKiosk({ 'POST /api/queues/q-1/tickets': kioskTicket })
    live(ws)
    await userEvent.click(takeButton())
    await userEvent.click(await screen.findByRole('button', { name: /Done/ }))
    expect(screen.queryByText('A042')).not.toBeInTheDocument()
    expect(takeButton()).toHaveFocus()
  })

  it('counts the joiner ETA down between messages', () => {
    vi.useFakeTimers()
    const { ws } = renderKiosk({})
    live(ws, queue({ eta_seconds: 600 }))
    expect(screen.getByText('Waiting time about 10 min')).toBeInTheDocument()
    expect(screen.getByText('3 people waiting')).toBeInTheDocument()
    // No message for two minutes (the server skips updates that only confirm the countdown).
    act(() => vi.advanceTimersByTime(120_000))
    expect(screen.getByText('Waiting time about 8 min')).toBeInTheDocument()
  })

  it('shows a paused line with its "back in" and no button', () => {
    const { ws } = renderKiosk({})
    live(ws, queue({ is_paused: true, back_in_seconds: 600 }))
    expect(screen.getByText('This line is paused for a moment.')).toBeInTheDocument()
    expect(screen.getByText('Back in about 10 min.')).toBeInTheDocument()
    expect(takeButton()).not.toBeInTheDocument()
  })

  it('shows a closed line and no button, and the button again when it opens', () => {
    const { ws } = renderKiosk({})
    live(ws, queue({ active: false }))
    expect(screen.getByText('This line is closed right now.')).toBeInTheDocument()
    expect(takeButton()).not.toBeInTheDocument()
    act(() => ws.receive({ type: 'update', seq: 4, events: [{ seq: 4, type: 'queue_opened', number: null, counter: null }], state: queue() }))
    expect(takeButton()).toBeInTheDocument()
  })

  it('treats a 409 queue_closed answer like a closed line', async () => {
    const { ws } = renderKiosk({
      'POST /api/queues/q-1/tickets': () => ({ status: 409, body: { error: { code: 'queue_closed', message: 'Closed.' } } }),
    })
    live(ws)
    await userEvent.click(takeButton())
    expect(await screen.findByText('This line is closed right now.')).toBeInTheDocument()
    expect(takeButton()).not.toBeInTheDocument()
  })

  it('says the kiosk is not set up when it has no token', () => {
    renderKiosk({}, { token: null })
    expect(screen.getByRole('heading', { name: 'This kiosk is not set up' })).toBeInTheDocument()
    expect(takeButton()).not.toBeInTheDocument()
    expect(FakeWebSocket.instances).toHaveLength(0)
  })

  it('moves the token from the fragment to localStorage and removes the fragment', async () => {
    const issue = vi.fn(kioskTicket)
    vi.stubGlobal('fetch', vi.fn(routeFetch({ 'GET /api/queues/q-1': () => ({ body: queue() }), 'POST /api/queues/q-1/tickets': issue })))
    window.history.replaceState(null, '', '/kiosk/q-1#token=fresh-kiosk-token-0123456789')
    render(<App />)
    await userEvent.click(await screen.findByRole('button', { name: 'Take a ticket' }))
    expect(localStorage.getItem(KEY)).toBe('fresh-kiosk-token-0123456789')
    expect(window.location.hash).toBe('')
    expect(window.location.pathname).toBe('/kiosk/q-1')
    expect(await screen.findByText('A042')).toBeInTheDocument()
    expect(issue.mock.calls[0][0].headers.Authorization).toBe('Bearer fresh-kiosk-token-0123456789')
  })

  it('takes a kiosk link opened in the same tab (only the fragment changes)', async () => {
    renderKiosk({}, { token: null })
    expect(screen.getByRole('heading', { name: 'This kiosk is not set up' })).toBeInTheDocument()
    window.location.hash = `#token=${TOKEN}`
    await screen.findByText('Loading…')
    live(FakeWebSocket.last())
    expect(takeButton()).toBeInTheDocument()
    expect(localStorage.getItem(KEY)).toBe(TOKEN)
    expect(window.location.hash).toBe('')
  })

  it.each([401, 403])('says the kiosk link is not valid after %i', async (status) => {
    const { ws } = renderKiosk({
      'POST /api/queues/q-1/tickets': () => ({ status, body: { error: { code: 'bad_credentials', message: 'No.' } } }),
    })
    live(ws)
    await userEvent.click(takeButton())
    expect(await screen.findByRole('heading', { name: 'This kiosk’s link is not valid' })).toBeInTheDocument()
    expect(takeButton()).not.toBeInTheDocument()
  })

  it('points to the https address when the box refuses the kiosk token over plain http', async () => {
    const message = 'Staff tokens are refused over plain http here. Use https://192.168.1.20:8443.'
    const { ws } = renderKiosk({
      'POST /api/queues/q-1/tickets': () => ({ status: 403, body: { error: { code: 'https_required', message } } }),
    })
    live(ws)
    await userEvent.click(takeButton())
    expect(await screen.findByRole('heading', { name: 'Open this kiosk at the box’s secure (https) address' })).toBeInTheDocument()
    expect(screen.getByText(message)).toBeInTheDocument()
  })

  it('retries a ticket that got no answer with the same Idempotency-Key', async () => {
    let calls = 0
    const issue = vi.fn(() => {
      calls += 1
      if (calls === 1) throw new TypeError('Failed to fetch')
      return kioskTicket()
    })
    const { ws } = renderKiosk({ 'POST /api/queues/q-1/tickets': issue })
    live(ws)
    await userEvent.click(takeButton())
    expect(await screen.findByRole('alert')).toHaveTextContent('No connection to the queue.')
    await userEvent.click(takeButton())
    expect(await screen.findByText('A042')).toBeInTheDocument()
    const keys = issue.mock.calls.map(([init]) => init.headers['Idempotency-Key'])
    expect(keys[0]).toBe(keys[1])
  })

  it('retries with the same key only within 60 s of the failed tap', async () => {
    vi.useFakeTimers()
    let calls = 0
    const issue = vi.fn(() => {
      calls += 1
      if (calls <= 2) throw new TypeError('Failed to fetch')
      return kioskTicket()
    })
    const { ws } = renderKiosk({ 'POST /api/queues/q-1/tickets': issue })
    live(ws)
    const tap = async () => {
      fireEvent.click(takeButton())
      await act(() => vi.advanceTimersByTimeAsync(0))
    }
    await tap()
    expect(screen.getByRole('alert')).toHaveTextContent('No connection to the queue.')
    await act(() => vi.advanceTimersByTimeAsync(59_000))
    await tap() // the same guest trying again: the same key
    // A minute after that failure, a tap is likely the next guest: a fresh key.
    await act(() => vi.advanceTimersByTimeAsync(61_000))
    await tap()
    expect(screen.getByText('A042')).toBeInTheDocument()
    const keys = issue.mock.calls.map(([init]) => init.headers['Idempotency-Key'])
    expect(keys).toHaveLength(3)
    expect(keys[1]).toBe(keys[0])
    expect(keys[2]).toBeTruthy()
    expect(keys[2]).not.toBe(keys[0])
  })

  it('shows the venue, who is being served and the wait on the start screen', () => {
    const { ws } = renderKiosk({})
    live(ws, queue({ now_serving: 'A009', eta_seconds: 840 }))
    expect(screen.getByRole('heading', { level: 1, name: 'Front desk' })).toBeInTheDocument()
    expect(screen.getByText('Now serving')).toBeInTheDocument()
    expect(screen.getByText('A009')).toBeInTheDocument()
    expect(screen.getByText('Waiting time about 14 min')).toBeInTheDocument()
    act(() => ws.receive({ type: 'update', seq: 4, events: [], state: queue({ now_serving: null, waiting_count: 0, eta_seconds: 0 }) }))
    expect(screen.getByText('Nobody yet')).toBeInTheDocument()
    expect(screen.getByText('No waiting time right now')).toBeInTheDocument()
    expect(screen.getByText('Nobody is waiting')).toBeInTheDocument()
  })

  it('offers every language, each named in itself, for this guest only', async () => {
    vi.useFakeTimers()
    const { ws } = renderKiosk({ 'POST /api/queues/q-1/tickets': kioskTicket })
    live(ws)
    const choice = screen.getByRole('group', { name: 'Language' })
    const english = screen.getByRole('button', { name: 'English' })
    const german = screen.getByRole('button', { name: 'Deutsch' })
    expect(choice).toContainElement(german)
    expect(english).toHaveAttribute('aria-pressed', 'true')
    expect(german).toHaveAttribute('lang', 'de')

    fireEvent.click(german)
    expect(german).toHaveAttribute('aria-pressed', 'true')
    expect(document.documentElement.lang).toBe('de')
    fireEvent.click(screen.getByRole('button', { name: 'Ticket ziehen' }))
    await act(() => vi.advanceTimersByTimeAsync(0))
    expect(screen.getByRole('heading', { name: 'Ihre Nummer' })).toBeInTheDocument()
    expect(screen.getByText('Merken Sie sich Ihre Nummer')).toBeInTheDocument() // this kiosk has no printer
    // The ticket screen times out: the next guest starts in the venue's language.
    await act(() => vi.advanceTimersByTimeAsync(15_000))
    expect(takeButton()).toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'English' })).toHaveAttribute('aria-pressed', 'true')
    expect(getLanguage()).toBe('en')
    expect(document.documentElement.lang).toBe('en')
  })

  it('starts in the venue’s language from setup, and each guest’s choice returns to it', async () => {
    const venue = { name: 'Town hall', logo_url: null, language: 'de', accent: '#1e40af' }
    const { ws } = renderKiosk({ 'GET /api/venue': () => ({ body: venue }), 'POST /api/queues/q-1/tickets': kioskTicket })
    live(ws)
    expect(await screen.findByRole('button', { name: 'Ticket ziehen' })).toBeInTheDocument()
    expect(screen.getByTestId('venue-name')).toHaveTextContent('Town hall')
    expect(document.title).toBe('Front desk · Town hall')
    await userEvent.click(screen.getByRole('button', { name: 'English' }))
    await userEvent.click(takeButton())
    await userEvent.click(await screen.findByRole('button', { name: /Done/ }))
    expect(await screen.findByRole('button', { name: 'Ticket ziehen' })).toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Deutsch' })).toHaveAttribute('aria-pressed', 'true')
  })

  it('goes back to the venue’s language when a guest chooses one and walks away', () => {
    vi.useFakeTimers()
    const { ws } = renderKiosk({})
    live(ws)
    fireEvent.click(screen.getByRole('button', { name: 'Deutsch' }))
    expect(screen.getByRole('button', { name: 'Ticket ziehen' })).toBeInTheDocument()
    act(() => vi.advanceTimersByTime(59_000))
    expect(screen.getByRole('button', { name: 'Ticket ziehen' })).toBeInTheDocument()
    act(() => vi.advanceTimersByTime(1_000))
    expect(takeButton()).toBeInTheDocument()
  })

  describe('the paper ticket', () => {
    const JOB = { id: 'j-1', ticket_id: 't-42', device_id: 'd-1', status: 'pending', reason: 'issue', error: null, expires_in_ms: 120_000 }
    const printedTicket = () => ({
      status: 201,
      body: ticket({ id: 't-42', display_number: 'A042', source: 'kiosk', people_ahead: 2, print_status: 'pending', print_job: JOB }),
    })

    async function issueWith(jobAnswers) {
      const answers = [...jobAnswers]
      const follow = vi.fn(() => (answers.length > 1 ? answers.shift() : answers[0]))
      const { ws } = renderKiosk({ 'POST /api/queues/q-1/tickets': printedTicket, 'GET /api/device/jobs/j-1': follow })
      live(ws)
      fireEvent.click(takeButton())
      await act(() => vi.advanceTimersByTimeAsync(0)) // the ticket
      await act(() => vi.advanceTimersByTimeAsync(0)) // and the job's first answer
      return follow
    }

    it('says "Printing…", then "Take your ticket below"', async () => {
      vi.useFakeTimers()
      const state = (status) => ({ body: { ...JOB, status, printer: 'ready', printer_detail: null, connected: true } })
      const follow = await issueWith([state('pending'), state('pending'), state('done')])
      expect(screen.getByText('A042')).toBeInTheDocument()
      expect(screen.getByRole('status')).toHaveTextContent('Printing…')
      await act(() => vi.advanceTimersByTimeAsync(1_000))
      expect(screen.getByRole('status')).toHaveTextContent('Printing…')
      await act(() => vi.advanceTimersByTimeAsync(1_000))
      expect(screen.getByRole('status')).toHaveTextContent('Take your ticket below')
      const calls = follow.mock.calls.length
      await act(() => vi.advanceTimersByTimeAsync(5_000))
      expect(follow.mock.calls.length).toBe(calls) // printed: no more questions
      expect(follow.mock.calls[0][0].headers.Authorization).toBe(`Bearer ${TOKEN}`)
    })

    it.each([
      ['failed', 'paper_out', true, 'The printer is out of paper. Please remember your number: A042'],
      ['pending', 'paper_out', true, 'The printer is out of paper. Please remember your number: A042'],
      ['failed', 'offline', true, 'The printer is not ready. Please remember your number: A042'],
      ['failed', 'error', true, 'The printer has a problem. Please remember your number: A042'],
      ['expired', 'ready', true, 'Your ticket could not be printed. Please remember your number: A042'],
      ['pending', 'ready', false, 'The printer is not answering. Please remember your number: A042'],
    ])('tells the guest a %s job with the printer %s (connected %s) in words', async (status, printer, connected, words) => {
      vi.useFakeTimers()
      await issueWith([{ body: { ...JOB, status, printer, printer_detail: 'details for staff', connected } }])
      expect(screen.getByRole('alert')).toHaveTextContent(words)
      expect(screen.getByText('A042')).toBeInTheDocument()
    })

    it('says only "Remember your number" when the box will not say how the job went', async () => {
      vi.useFakeTimers()
      const follow = await issueWith([{ status: 401, body: { error: { code: 'bad_credentials', message: 'No.' } } }])
      expect(screen.getByRole('status')).toHaveTextContent('Remember your number')
      await act(() => vi.advanceTimersByTimeAsync(5_000))
      expect(follow).toHaveBeenCalledTimes(1) // a refusal is final: no more questions
    })

    it('keeps saying "Printing…" through a lost answer, and asks again', async () => {
      vi.useFakeTimers()
      const done = { body: { ...JOB, status: 'done', printer: 'ready', printer_detail: null, connected: true } }
      let calls = 0
      const follow = vi.fn(() => {
        calls += 1
        if (calls === 1) throw new TypeError('Failed to fetch')
        return done
      })
      const { ws } = renderKiosk({ 'POST /api/queues/q-1/tickets': printedTicket, 'GET /api/device/jobs/j-1': follow })
      live(ws)
      fireEvent.click(takeButton())
      await act(() => vi.advanceTimersByTimeAsync(0))
      expect(screen.getByRole('status')).toHaveTextContent('Printing…')
      await act(() => vi.advanceTimersByTimeAsync(1_000))
      expect(screen.getByRole('status')).toHaveTextContent('Take your ticket below')
    })

    it('says "Remember your number" on a kiosk without a printer', async () => {
      const follow = vi.fn()
      const { ws } = renderKiosk({ 'POST /api/queues/q-1/tickets': kioskTicket, 'GET /api/device/jobs/j-1': follow })
      live(ws)
      await userEvent.click(takeButton())
      expect(await screen.findByRole('status')).toHaveTextContent('Remember your number')
      expect(follow).not.toHaveBeenCalled()
    })
  })
})
