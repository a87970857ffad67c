import { act, fireEvent, render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { routeFetch } from '../../test/fixtures.js'
import DayFigures, { REFRESH_MS } from './DayFigures.jsx'
import { figureGroups } from './dayFigures.js'

const TOKEN = 'desk-token-0123456789abcdef'
const DAY = '2026-12-07'

const row = (queue_id, service, counter_id, counter, staff, figures = {}) => ({
  service_day: DAY, queue_id, service, counter_id, counter, staff,
  served: 0, priority_served: 0, no_shows: 0, transfers_out: 0, transfers_in: 0, waited_count: 0,
  waited_seconds: 0, waited_mean_seconds: null, served_time_count: 0, served_time_seconds: 0,
  served_time_mean_seconds: null, ...figures,
})

// Counter 1 (Ana) served Passports and Payments; counter 2 (Ben) only Payments; a transfer into Payments.
const ROWS = [
  row('pass', 'Passports', 'c-1', '1', 'Ana', { served: 2, priority_served: 1, waited_count: 3, waited_seconds: 360, waited_mean_seconds: 120, served_time_count: 2, served_time_seconds: 600, served_time_mean_seconds: 300, no_shows: 1, transfers_out: 1 }),
  row('pay', 'Payments', 'c-1', '1', 'Ana', { served: 1, waited_count: 1, waited_seconds: 1440, waited_mean_seconds: 1440, served_time_count: 1, served_time_seconds: 60, served_time_mean_seconds: 60 }),
  row('pay', 'Payments', 'c-2', '2', 'Ben', { served: 4, waited_count: 4, waited_seconds: 20, waited_mean_seconds: 5, served_time_count: 4, served_time_seconds: 4800, served_time_mean_seconds: 1200, no_shows: 2 }),
  row('pay', 'Payments', null, null, null, { transfers_in: 1 }),
]
const SERVICES = [
  row('pay', 'Payments', null, null, null, { served: 5, priority_served: 0, no_shows: 2, transfers_in: 1, waited_mean_seconds: 292, served_time_mean_seconds: 972 }),
  row('pass', 'Passports', null, null, null, { served: 2, priority_served: 1, no_shows: 1, transfers_out: 1, waited_mean_seconds: 120, served_time_mean_seconds: 300 }),
]
const ANSWER = { day: DAY, rows: ROWS, services: SERVICES }

let fetchMock

function renderFigures(routes, props = { folded: true }) {
  fetchMock = vi.fn(routeFetch(routes))
  vi.stubGlobal('fetch', fetchMock)
  return render(<DayFigures token={TOKEN} {...props} />)
}

const statsCalls = () => fetchMock.mock.calls.filter(([url]) => new URL(url, 'http://localhost').pathname === '/api/stats')

/** The figures of the card named `name` in `testId`'s list: {served: '2', …}. */
function card(testId, name) {
  const item = screen.getAllByTestId(testId).find((li) => li.dataset.name === name)
  expect(item, name).toBeTruthy()
  return Object.fromEntries([...item.querySelectorAll('dd')].map((dd) => [dd.dataset.figure, dd.textContent]))
}

afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
  vi.restoreAllMocks()
})

describe('DayFigures', () => {
  it('asks the box only when opened, with the token, and shows each service and each counter and staff name', async () => {
    renderFigures({ 'GET /api/stats': () => ({ body: ANSWER }) })
    const toggle = screen.getByRole('button', { name: "Today's figures" })
    expect(toggle).toHaveAttribute('aria-expanded', 'false')
    expect(statsCalls()).toHaveLength(0)

    await userEvent.click(toggle)
    expect(toggle).toHaveAttribute('aria-expanded', 'true')
    await screen.findByRole('heading', { name: 'By service' })
    expect(statsCalls()).toHaveLength(1)
    expect(statsCalls()[0][1].headers.Authorization).toBe(`Bearer ${TOKEN}`)

    // Services in name order, each with its seven figures.
    expect(screen.getAllByTestId('figures-service').map((li) => li.dataset.name)).toEqual(['Passports', 'Payments'])
    expect(card('figures-service', 'Payments')).toEqual({
      served: '5', 'priority-served': '0', 'avg-wait': '5 min', 'avg-service': '16 min', 'no-shows': '2', 'transfers-out': '0', 'transfers-in': '1',
    })
    expect(card('figures-service', 'Passports')).toMatchObject({ served: '2', 'priority-served': '1', 'avg-wait': '2 min', 'transfers-out': '1' })

    // Counter 1's two services summed, its means weighted: (360 + 1440) / 4 s = 7.5 min; (600 + 60) / 3 s = 3.7 min.
    expect(within(screen.getByRole('region', { name: 'By counter and staff' })).getAllByRole('listitem')).toHaveLength(2)
    expect(screen.getAllByTestId('figures-counter').map((li) => li.dataset.name)).toEqual(['Counter 1 · Ana', 'Counter 2 · Ben'])
    expect(card('figures-counter', 'Counter 1 · Ana')).toEqual({ served: '3', 'avg-wait': '8 min', 'avg-service': '4 min', 'no-shows': '1' })
    expect(card('figures-counter', 'Counter 2 · Ben')).toEqual({ served: '4', 'avg-wait': '< 1 min', 'avg-service': '20 min', 'no-shows': '2' })
    expect(screen.getByText(/^As of /)).toBeInTheDocument()

    // Folded again: nothing shown, nothing asked; opened again: asked again.
    await userEvent.click(toggle)
    expect(screen.queryByTestId('figures-service')).toBeNull()
    await userEvent.click(toggle)
    await screen.findByRole('heading', { name: 'By service' })
    expect(statsCalls()).toHaveLength(2)
  })

  it('refreshes at most once a minute while open, and not at all when folded', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true })
    renderFigures({ 'GET /api/stats': () => ({ body: ANSWER }) })
    const toggle = screen.getByRole('button', { name: "Today's figures" })
    await act(async () => {
      fireEvent.click(toggle)
    })
    await screen.findByRole('heading', { name: 'By service' })
    expect(statsCalls()).toHaveLength(1)
    await act(async () => {
      vi.advanceTimersByTime(REFRESH_MS - 1000)
    })
    expect(statsCalls()).toHaveLength(1)
    await act(async () => {
      vi.advanceTimersByTime(1000)
    })
    expect(statsCalls()).toHaveLength(2)
    await act(async () => {
      fireEvent.click(toggle)
    })
    await act(async () => {
      vi.advanceTimersByTime(3 * REFRESH_MS)
    })
    expect(statsCalls()).toHaveLength(2)
  })

  it('says so in words on a day without figures', async () => {
    renderFigures({ 'GET /api/stats': () => ({ body: { day: DAY, rows: [], services: [] } }) })
    await userEvent.click(screen.getByRole('button', { name: "Today's figures" }))
    expect(await screen.findByTestId('figures-empty')).toHaveTextContent('No figures yet today: nobody has been called or served.')
    expect(screen.queryByTestId('figures-service')).toBeNull()
    expect(screen.getByRole('button', { name: 'Download CSV' })).toBeInTheDocument()
  })

  it('shows the host’s error text when the box cannot be reached', async () => {
    fetchMock = vi.fn(() => Promise.reject(new TypeError('Failed to fetch')))
    vi.stubGlobal('fetch', fetchMock)
    render(<DayFigures token={TOKEN} folded />)
    await userEvent.click(screen.getByRole('button', { name: "Today's figures" }))
    expect(await screen.findByText('No connection to the box. Check the Wi-Fi and try again.')).toBeInTheDocument()
  })

  it('downloads the CSV with the token in the Authorization header and saves it under the box’s name', async () => {
    const csvText = 'service_day,queue_id\r\n2026-12-07,pass\r\n'
    const csv = vi.fn(() => new Response(csvText, { status: 200, headers: { 'Content-Type': 'text/csv', 'Content-Disposition': `attachment; filename="qode-stats-${DAY}.csv"` } }))
    const createObjectURL = vi.fn(() => 'blob:http://localhost/1')
    vi.stubGlobal('URL', Object.assign(globalThis.URL, { createObjectURL, revokeObjectURL: vi.fn() }))
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function () {
      click.saved = { href: this.href, download: this.download }
    })
    renderFigures({ 'GET /api/stats': (_init, url) => (url.searchParams.get('format') === 'csv' ? csv() : { body: ANSWER }) })
    await userEvent.click(screen.getByRole('button', { name: "Today's figures" }))
    await userEvent.click(await screen.findByRole('button', { name: 'Download CSV' }))

    expect(csv).toHaveBeenCalledTimes(1)
    const [url, init] = statsCalls().find(([u]) => u.includes('format=csv'))
    expect(url).not.toContain(TOKEN)
    expect(init.headers.Authorization).toBe(`Bearer ${TOKEN}`)
    expect(createObjectURL).toHaveBeenCalledTimes(1)
    expect(await createObjectURL.mock.calls[0][0].text()).toBe(csvText)
    expect(click.saved).toEqual({ href: 'blob:http://localhost/1', download: `qode-stats-${DAY}.csv` })
  })

  it('names the file after the day when the box gives no name, and says why a download failed', async () => {
    vi.stubGlobal('URL', Object.assign(globalThis.URL, { createObjectURL: vi.fn(() => 'blob:x'), revokeObjectURL: vi.fn() }))
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function () {
      click.saved = this.download
    })
    let fail = false
    renderFigures({
      'GET /api/stats': (_init, url) => {
        if (url.searchParams.get('format') !== 'csv') return { body: ANSWER }
        if (fail) return { status: 403, body: { error: { code: 'service_not_in_scope', message: 'no' } } }
        return new Response('x\r\n', { status: 200, headers: { 'Content-Type': 'text/csv' } })
      },
    })
    await userEvent.click(screen.getByRole('button', { name: "Today's figures" }))
    await userEvent.click(await screen.findByRole('button', { name: 'Download CSV' }))
    expect(click.saved).toBe(`qode-stats-${DAY}.csv`)

    fail = true
    await userEvent.click(screen.getByRole('button', { name: 'Download CSV' }))
    expect(await screen.findByText('This host link does not cover that service.')).toBeInTheDocument()
  })

  it('on a service’s page shows only its counters, and nothing when the token cannot read the figures', async () => {
    const { unmount } = renderFigures({ 'GET /api/stats': () => ({ body: ANSWER }) }, { queueId: 'pay' })
    await screen.findByRole('heading', { name: 'By counter and staff' })
    expect(screen.queryByRole('button', { name: "Today's figures" })).toBeNull()
    expect(screen.queryByTestId('figures-service')).toBeNull()
    expect(screen.getAllByTestId('figures-counter').map((li) => li.dataset.name)).toEqual(['Counter 1 · Ana', 'Counter 2 · Ben'])
    expect(card('figures-counter', 'Counter 1 · Ana')).toEqual({ served: '1', 'avg-wait': '24 min', 'avg-service': '1 min', 'no-shows': '0' })
    expect(screen.getByRole('button', { name: 'Download CSV' })).toBeInTheDocument()
    unmount()

    vi.useFakeTimers({ shouldAdvanceTime: true })
    const { container } = renderFigures({ 'GET /api/stats': () => ({ status: 403, body: { error: { code: 'forbidden', message: 'no' } } }) }, { queueId: 'pay' })
    await vi.waitFor(() => expect(statsCalls()).toHaveLength(1))
    await act(async () => {})
    expect(container).toBeEmptyDOMElement()
    // A refusal asking again will not change: no more asking (a 401 would use up the address's allowance).
    await act(async () => {
      await vi.advanceTimersByTimeAsync(3 * REFRESH_MS)
    })
    expect(statsCalls()).toHaveLength(1)
  })
})

describe('figureGroups', () => {
  it('leaves out rows that count nobody at no counter, and keeps a counter known only by name', () => {
    const rows = [row('pay', 'Payments', null, null, null, { transfers_in: 3 }), row('pay', 'Payments', null, 'Desk 4', null, { served: 1 })]
    const { counterItems } = figureGroups({ rows, services: [] })
    expect(counterItems.map((c) => [c.name, c.row.served])).toEqual([['Counter Desk 4', 1]])
    expect(figureGroups(null)).toEqual({ serviceItems: [], counterItems: [] })
  })
})
