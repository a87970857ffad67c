import { act, render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { FakeWebSocket, live } from '../test/fakeWebSocket.js'
import { routeFetch, ticket } from '../test/fixtures.js'
import { setLanguage } from '../lib/strings.js'
import GuestView from './GuestView.jsx'

let fetchMock

function renderGuest(routes = { 'GET /api/tickets/t-1': () => ({ body: ticket() }) }) {
  fetchMock = vi.fn(routeFetch(routes))
  vi.stubGlobal('fetch', fetchMock)
  return render(<GuestView ticketId="t-1" />)
}


beforeEach(() => {
  FakeWebSocket.reset()
  vi.stubGlobal('WebSocket', FakeWebSocket)
})
afterEach(() => {
  vi.unstubAllGlobals()
  delete navigator.vibrate
})

describe('GuestView', () => {
  it('shows a waiting ticket: number, people ahead, ETA and now serving', async () => {
    renderGuest()
    expect(await screen.findByText('A12')).toBeInTheDocument()
    expect(screen.getByText('Waiting')).toBeInTheDocument()
    expect(screen.getByText('3 people ahead of you')).toBeInTheDocument()
    expect(screen.getByText('about 12 min')).toBeInTheDocument()
    expect(screen.getByText('Now serving')).toBeInTheDocument()
    expect(screen.getByText('A9')).toBeInTheDocument()
    expect(FakeWebSocket.last().url).toMatch(/\/ws\/tickets\/t-1$/)

    live({ type: 'snapshot', seq: 4, ticket: ticket() })
    expect(screen.queryByText('Connecting…')).not.toBeInTheDocument()
    live({ type: 'update', seq: 5, ticket: ticket({ people_ahead: 1, eta_seconds: 200, now_serving: 'A11' }) })
    expect(screen.getByText('1 person ahead of you')).toBeInTheDocument()
    expect(screen.getByText('about 4 min')).toBeInTheDocument()
    expect(document.querySelector('[aria-live="polite"]')).toHaveTextContent('Ticket A12: Waiting, 1 person ahead of you.')
  })

  it('says "you\'re next" when nobody is ahead and the wait is under a minute', async () => {
    renderGuest({ 'GET /api/tickets/t-1': () => ({ body: ticket({ people_ahead: 0, eta_seconds: 30 }) }) })
    expect(await screen.findByText("You're next")).toBeInTheDocument()
    expect(screen.getByText('Nobody ahead of you')).toBeInTheDocument()
  })

  it('turns the screen into "Your turn" with the counter when called, without a reload', async () => {
    navigator.vibrate = vi.fn(() => true)
    renderGuest()
    await screen.findByText('A12')
    live({ type: 'snapshot', seq: 4, ticket: ticket() })
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument()

    live({ type: 'update', seq: 6, ticket: ticket({ status: 'CALLED', counter: '2', people_ahead: 0, eta_seconds: 0, called_at: '2026-11-26T10:20:00+01:00' }) })
    const dialog = screen.getByRole('alertdialog', { name: 'Your turn' })
    expect(within(dialog).getByText('Counter 2')).toBeInTheDocument()
    expect(within(dialog).getByText('A12')).toBeInTheDocument()
    expect(navigator.vibrate).toHaveBeenCalledTimes(1)
    expect(document.querySelector('[aria-live="polite"]')).toHaveTextContent('your turn, counter 2')

    await userEvent.click(within(dialog).getByRole('button', { name: 'OK, on my way' }))
    expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument()
    expect(screen.getByText('Counter 2')).toBeInTheDocument()
  })

  it('shows a cancelled ticket with a way to take a new one', async () => {
    renderGuest({ 'GET /api/tickets/t-1': () => ({ body: ticket({ status: 'CANCELLED', eta_seconds: null }) }) })
    expect(await screen.findByText('This ticket is cancelled.')).toBeInTheDocument()
    expect(screen.getByText('Cancelled')).toBeInTheDocument()
    expect(screen.getByRole('link', { name: 'Take a new ticket' })).toHaveAttribute('href', '/join/q-1')
    expect(screen.queryByRole('button', { name: 'Leave the line' })).not.toBeInTheDocument()
  })

  it('says why the host ended the ticket: the line closed for today, or cancelled by the host (EN and DE)', async () => {
    const ended = (reason) => ({ 'GET /api/tickets/t-1': () => ({ body: ticket({ status: 'CANCELLED', eta_seconds: null, reason }) }) })
    const first = renderGuest(ended('line_closed'))
    expect(await screen.findByText('The line was closed for today, and this ticket was cancelled.')).toBeInTheDocument()
    first.unmount()
    const second = renderGuest(ended('cancelled_by_host'))
    expect(await screen.findByText('This ticket was cancelled by the host.')).toBeInTheDocument()
    second.unmount()
    setLanguage('de')
    try {
      renderGuest(ended('line_closed'))
      expect(await screen.findByText('Die Warteschlange wurde für heute geschlossen, dieses Ticket wurde storniert.')).toBeInTheDocument()
    } finally {
      setLanguage('en')
    }
  })

  it('cancels only after confirmation', async () => {
    const cancel = vi.fn(() => ({ body: ticket({ status: 'CANCELLED', eta_seconds: null }) }))
    renderGuest({ 'GET /api/tickets/t-1': () => ({ body: ticket() }), 'POST /api/tickets/t-1/cancel': cancel })
    await userEvent.click(await screen.findByRole('button', { name: 'Leave the line' }))
    expect(screen.getByText('Leave the line? You will lose your place.')).toBeInTheDocument()
    await userEvent.click(screen.getByRole('button', { name: 'No, keep my place' }))
    expect(cancel).not.toHaveBeenCalled()

    await userEvent.click(screen.getByRole('button', { name: 'Leave the line' }))
    await userEvent.click(screen.getByRole('button', { name: 'Yes, leave the line' }))
    expect(await screen.findByText('This ticket is cancelled.')).toBeInTheDocument()
    expect(cancel).toHaveBeenCalledTimes(1)
    expect(fetchMock.mock.calls.find(([url]) => url.endsWith('/cancel'))[1].headers['Idempotency-Key']).toBeTruthy()
  })

  it('shows completed and no-show tickets plainly', async () => {
    renderGuest({ 'GET /api/tickets/t-1': () => ({ body: ticket({ status: 'NO_SHOW', eta_seconds: null }) }) })
    expect(await screen.findByText(/missed your turn/)).toBeInTheDocument()
    live({ type: 'snapshot', seq: 9, ticket: ticket({ status: 'COMPLETED', eta_seconds: null }) })
    expect(screen.getByText('Thank you for your visit.')).toBeInTheDocument()
  })

  it('tells a missed guest until when the desk can put them back (issue 16, grace), and not after', async () => {
    const until = new Date(Date.now() + 8 * 60_000).toISOString()
    renderGuest({ 'GET /api/tickets/t-1': () => ({ body: ticket({ status: 'NO_SHOW', eta_seconds: null, return_until: until }) }) })
    const line = await screen.findByTestId('come-back')
    const shown = new Intl.DateTimeFormat('en', { hour: '2-digit', minute: '2-digit' }).format(new Date(until))
    expect(line).toHaveTextContent(`go to the desk before ${shown}`)
    // once it came back (or the window passed) the box sends no return_until, and the line goes
    live({ type: 'snapshot', seq: 9, ticket: ticket({ status: 'NO_SHOW', eta_seconds: null, return_until: null }) })
    expect(screen.queryByTestId('come-back')).toBeNull()
    live({ type: 'update', seq: 10, ticket: ticket({ status: 'NO_SHOW', eta_seconds: null,
      return_until: new Date(Date.now() - 1000).toISOString() }) })
    expect(screen.queryByTestId('come-back')).toBeNull()
  })

  it('shows the cached ticket and "Reconnecting…" when offline', async () => {
    localStorage.setItem('qode.ticket.t-1', JSON.stringify({ ticket: ticket(), savedAt: Date.now() }))
    renderGuest({
      'GET /api/tickets/t-1': () => {
        throw new TypeError('Failed to fetch')
      },
    })
    expect(screen.getByText('A12')).toBeInTheDocument()
    act(() => FakeWebSocket.last().drop())
    expect(screen.getByText('Reconnecting…')).toBeInTheDocument()
    expect(screen.getByText('3 people ahead of you')).toBeInTheDocument()
    expect(screen.getByText('about 12 min')).toBeInTheDocument()
    expect(screen.getByText(/Showing what we knew at/)).toBeInTheDocument()
  })

  it('keeps the last state for the next visit', async () => {
    renderGuest()
    live({ type: 'snapshot', seq: 4, ticket: ticket({ people_ahead: 2 }) })
    const saved = JSON.parse(localStorage.getItem('qode.ticket.t-1'))
    expect(saved.ticket.people_ahead).toBe(2)
  })

  it('speaks German to a German browser', async () => {
    setLanguage('de')
    try {
      renderGuest()
      expect(await screen.findByText('3 Personen vor Ihnen')).toBeInTheDocument()
      expect(screen.getByText('etwa 12 Min.')).toBeInTheDocument()
    } finally {
      setLanguage('en')
    }
  })

  it('says clearly when the ticket does not exist', async () => {
    localStorage.setItem('qode.ticket.t-1', JSON.stringify({ ticket: ticket(), savedAt: Date.now() }))
    renderGuest({
      'GET /api/tickets/t-1': () => ({ status: 404, body: { error: { code: 'ticket_not_found', message: 'No ticket with that id.' } } }),
    })
    expect(await screen.findByText("We can't find this ticket")).toBeInTheDocument()
    expect(screen.queryByText('A12')).not.toBeInTheDocument()
    expect(localStorage.getItem('qode.ticket.t-1')).toBeNull()
  })

  it('treats close code 4404 as not found', async () => {
    renderGuest({ 'GET /api/tickets/t-1': () => new Promise(() => {}) })
    act(() => FakeWebSocket.last().drop(4404))
    expect(screen.getByText("We can't find this ticket")).toBeInTheDocument()
  })
})

describe('GuestView with several services (issue 15)', () => {
  const RECEPTION = { id: 'q-r', name: 'Reception', prefix: 'R' }
  const PAYMENTS = { id: 'q-m', name: 'Payments', prefix: 'M' }

  it('names the service with the number, and a priority ticket says so', async () => {
    renderGuest({ 'GET /api/tickets/t-1': () => ({ body: ticket({ display_number: 'R001', service: RECEPTION, priority: true }) }) })
    expect(await screen.findByText('R001')).toBeInTheDocument()
    expect(screen.getByTestId('ticket-service')).toHaveTextContent('Reception')
    expect(screen.getByText('Priority ticket')).toBeInTheDocument()
    expect(screen.queryByTestId('transfer-notice')).not.toBeInTheDocument()
  })

  it('says plainly where to go after a transfer, live, in a polite status a screen reader hears', async () => {
    renderGuest({ 'GET /api/tickets/t-1': () => ({ body: ticket({ display_number: 'R001', service: RECEPTION, status: 'SERVING', counter: '1' }) }) })
    await screen.findByText('R001')
    live({ type: 'snapshot', seq: 4, ticket: ticket({ display_number: 'R001', service: RECEPTION, status: 'SERVING', counter: '1' }) })
    expect(screen.queryByTestId('transfer-notice')).not.toBeInTheDocument()
    const region = [...document.querySelectorAll('[role="status"]')].find((el) => el.getAttribute('aria-atomic') === 'true')
    expect(region).toBeEmptyDOMElement() // there before the notice, so its arrival is announced

    live({
      type: 'update',
      seq: 9,
      ticket: ticket({ display_number: 'R001', service: PAYMENTS, queue_id: 'q-m', status: 'WAITING', counter: null, transfers: 1, people_ahead: 2, eta_seconds: 300 }),
      transferred: { from_name: 'Reception', to_name: 'Payments' },
    })
    const notice = screen.getByTestId('transfer-notice')
    expect(notice).toHaveTextContent('Go to Payments: you are now in its line.')
    expect(notice).toHaveTextContent('Sent on from Reception. Your number stays the same.')
    expect(region).toContainElement(notice)
    expect(region).toHaveAttribute('role', 'status')
    // The same ticket and number, now in Payments' line.
    expect(screen.getByText('R001')).toBeInTheDocument()
    expect(screen.getByTestId('ticket-service')).toHaveTextContent('Payments')
    expect(screen.getByText('2 people ahead of you')).toBeInTheDocument()

    // Called in Payments: the notice has done its job.
    live({ type: 'update', seq: 12, ticket: ticket({ display_number: 'R001', service: PAYMENTS, status: 'CALLED', counter: '3', transfers: 1, called_at: '2026-11-26T10:30:00+01:00' }) })
    expect(screen.queryByTestId('transfer-notice')).not.toBeInTheDocument()
  })

  it('notices the move from the ticket alone when the update carries no `transferred`', async () => {
    renderGuest({ 'GET /api/tickets/t-1': () => ({ body: ticket({ display_number: 'R001', service: RECEPTION }) }) })
    await screen.findByText('R001')
    live({ type: 'snapshot', seq: 4, ticket: ticket({ display_number: 'R001', service: RECEPTION }) })
    live({ type: 'update', seq: 5, ticket: ticket({ display_number: 'R001', service: PAYMENTS, transfers: 1 }) })
    expect(screen.getByTestId('transfer-notice')).toHaveTextContent('Go to Payments: you are now in its line.Sent on from Reception.')
  })

  it('keeps saying where to go when the page opens after the transfer', async () => {
    renderGuest({ 'GET /api/tickets/t-1': () => ({ body: ticket({ display_number: 'R001', service: PAYMENTS, transfers: 1 }) }) })
    expect(await screen.findByTestId('transfer-notice')).toHaveTextContent('Go to Payments: you are now in its line.')
  })
})

describe('GuestView: "I\'m running late" (issue 16)', () => {
  const offer = (more = {}) => ({ late: { places: 3, most: 3, uses: 2, uses_left: 2 }, late_uses: 0, ...more })

  it('moves back only after a question that says how many places and what is left, then shows the new place', async () => {
    const late = vi.fn(() => ({ body: ticket(offer({ people_ahead: 6, late_uses: 1, late: { places: 3, most: 3, uses: 2, uses_left: 1 } })) }))
    renderGuest({ 'GET /api/tickets/t-1': () => ({ body: ticket(offer()) }), 'POST /api/tickets/t-1/late': late })
    await userEvent.click(await screen.findByRole('button', { name: "I'm running late" }))
    const question = screen.getByRole('region', { name: 'Move back 3 places? The guests behind you go first.' })
    expect(within(question).getByText('After this you can move back 1 more time.')).toBeInTheDocument()
    await userEvent.click(within(question).getByRole('button', { name: 'No, keep my place' }))
    expect(late).not.toHaveBeenCalled()

    await userEvent.click(screen.getByRole('button', { name: "I'm running late" }))
    await userEvent.click(screen.getByRole('button', { name: 'Yes, move me back' }))
    expect(await screen.findByText('Done: you moved back 3 places.')).toBeInTheDocument()
    expect(screen.getByText('6 people ahead of you')).toBeInTheDocument()
    expect(late).toHaveBeenCalledTimes(1)
    const [, init] = fetchMock.mock.calls.find(([url]) => url.endsWith('/late'))
    expect(JSON.parse(init.body)).toEqual({ use: 1 })
    // the second (last) move: the question says so
    await userEvent.click(screen.getByRole('button', { name: "I'm running late" }))
    expect(screen.getByText('After this you cannot move back again.')).toBeInTheDocument()
  })

  it('says why the box refused, in the guest\'s words, and keeps the place', async () => {
    const late = vi.fn(() => ({ status: 409, body: { error: { code: 'cannot_move_back', message: 'server words' } } }))
    renderGuest({ 'GET /api/tickets/t-1': () => ({ body: ticket(offer()) }), 'POST /api/tickets/t-1/late': late })
    await userEvent.click(await screen.findByRole('button', { name: "I'm running late" }))
    await userEvent.click(screen.getByRole('button', { name: 'Yes, move me back' }))
    expect(await screen.findByRole('alert')).toHaveTextContent('The line cannot move you back right now.')
    expect(screen.getByText('3 people ahead of you')).toBeInTheDocument()
  })

  it('offers nothing when last, off, or not waiting; says when every move is used', async () => {
    renderGuest({ 'GET /api/tickets/t-1': () => ({ body: ticket(offer({ people_ahead: 0, late: { places: 0, most: 3, uses: 1, uses_left: 1 } })) }) })
    await screen.findByText('A12')
    expect(screen.queryByRole('button', { name: "I'm running late" })).not.toBeInTheDocument()
    live({ type: 'update', seq: 5, ticket: ticket({ late: null }) })
    expect(screen.queryByRole('button', { name: "I'm running late" })).not.toBeInTheDocument()
    live({ type: 'update', seq: 6, ticket: ticket(offer({ late_uses: 1, late: { places: 3, most: 3, uses: 1, uses_left: 0 } })) })
    expect(screen.getByText('You have used every move back this ticket has.')).toBeInTheDocument()
    expect(screen.queryByRole('button', { name: "I'm running late" })).not.toBeInTheDocument()
  })
})
