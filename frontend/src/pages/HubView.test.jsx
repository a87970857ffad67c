import { act, render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it, vi } from 'vitest'
import App from '../App.jsx'
import { hourBars } from '../components/hub/hourBars.js'
import { attachmentName } from '../lib/hubApi.js'
import { setLanguage } from '../lib/strings.js'
import { jsonResponse, routeFetch } from '../test/fixtures.js'

const TOKEN = 'hub-admin-token-0123456789abcdef'
let fetchMock

const ago = (minutes) => new Date(Date.now() - minutes * 60000).toISOString()

function site(overrides = {}) {
  return {
    device_id: 'townhall-1',
    name: 'Town hall',
    last_seen: ago(3),
    last_seq: 1234,
    events: 1234,
    queues: [
      { queue_id: 'q-1', name: 'Front desk', prefix: 'A', now_serving: 'A012', waiting: 4 },
      { queue_id: 'q-2', name: 'Passports', prefix: 'P', now_serving: null, waiting: 1 },
    ],
    today: {
      day: '2026-11-26', served: 31, no_shows: 2, avg_wait_seconds: 412,
      waits_per_hour: [
        { hour: 9, called: 5, avg_wait_seconds: 300 },
        { hour: 11, called: 8, avg_wait_seconds: 720 },
      ],
    },
    yesterday: { day: '2026-11-25', served: 28, no_shows: 0, avg_wait_seconds: 20, waits_per_hour: [] },
    ...overrides,
  }
}

const library = () =>
  site({
    device_id: 'library',
    name: 'Library',
    last_seen: ago(25),
    queues: [],
    today: { day: '2026-11-26', served: 0, no_shows: 0, avg_wait_seconds: null, waits_per_hour: [] },
    yesterday: { day: '2026-11-25', served: 12, no_shows: 1, avg_wait_seconds: 600, waits_per_hour: [] },
  })

const list = (...sites) => () => ({ body: { sites } })

function renderHub(routes, { hash = `#token=${TOKEN}` } = {}) {
  fetchMock = vi.fn(routeFetch(routes))
  vi.stubGlobal('fetch', fetchMock)
  window.history.replaceState(null, '', `/hub${hash}`)
  return render(<App />)
}

/** The calls fetch got for "METHOD /path" (query ignored). */
function calls(method, path) {
  return fetchMock.mock.calls.filter(
    ([url, init = {}]) => (init.method ?? 'GET') === method && new URL(url, 'http://localhost').pathname === path,
  )
}

const card = (name) => screen.getByRole('article', { name })

afterEach(() => {
  vi.useRealTimers()
  vi.unstubAllGlobals()
  setLanguage('en')
  window.history.replaceState(null, '', '/')
})

describe('HubView', () => {
  it('moves the token to localStorage and shows each site: contact, queues, figures, chart', async () => {
    renderHub({ 'GET /api/hub/sites': list(site()) })
    const townHall = await screen.findByRole('article', { name: 'Town hall' })
    expect(localStorage.getItem('qode.hubToken')).toBe(TOKEN)
    expect(window.location.hash).toBe('')
    expect(fetchMock.mock.calls[0][1].headers.Authorization).toBe(`Bearer ${TOKEN}`)
    expect(fetchMock.mock.calls[0][0]).not.toContain(TOKEN)

    expect(within(townHall).getByText('Last seen 3 min ago')).toBeInTheDocument()
    expect(within(townHall).getByTestId('contact')).toHaveAttribute('data-level', 'ok')
    expect(within(townHall).getByText('Device id: townhall-1 · 1234 events received')).toBeInTheDocument()

    const queues = within(townHall).getByRole('list', { name: 'Queues' })
    const rows = within(queues).getAllByRole('listitem')
    expect(rows[0]).toHaveTextContent('Front desk')
    expect(rows[0]).toHaveTextContent('Now serving A012 · 4 waiting')
    expect(rows[1]).toHaveTextContent('Passports')
    expect(rows[1]).toHaveTextContent('Nobody called yet · 1 waiting')

    const figures = within(townHall).getByRole('table', { name: 'Figures' })
    expect(within(figures).getByRole('row', { name: 'Served 31 28' })).toBeInTheDocument()
    expect(within(figures).getByRole('row', { name: 'Average wait 7 min < 1 min' })).toBeInTheDocument()
    expect(within(figures).getByRole('row', { name: 'No-shows 2 0' })).toBeInTheDocument()

    // An hour axis from 9 AM (the first call) over 8 hours: 5 called at 9, none at 10, 8 at 11,
    // the counts on the bars, and the same figures in a table for screen readers.
    const hours = within(townHall).getByTestId('chart-townhall-1-hours')
    expect(within(hours).getAllByRole('listitem', { hidden: true }).map((li) => li.textContent)).toEqual(['9 AM', '10 AM', '11 AM', '12 PM', '1 PM', '2 PM', '3 PM', '4 PM'])
    const bars = within(within(townHall).getByTestId('chart-townhall-1')).getAllByRole('listitem', { hidden: true }).filter((li) => li.dataset.hour)
    expect(bars.map((li) => li.textContent)).toEqual(['5', '', '8', '', '', '', '', ''])
    const table = within(townHall).getByRole('table', { name: 'Today: guests called each hour' })
    expect(within(table).getByRole('row', { name: '9 AM 5 5 min' })).toBeInTheDocument()
    expect(within(table).getByRole('row', { name: '10 AM 0 –' })).toBeInTheDocument()
    expect(within(table).getByRole('row', { name: '11 AM 8 12 min' })).toBeInTheDocument()

    expect(screen.getByTestId('hub-summary')).toHaveTextContent('1 site')
    expect(screen.getByText(/^Updated at .+\. The list refreshes every 30 seconds\.$/)).toBeInTheDocument()
  })

  it('marks a site out of contact for over 10 minutes in words, and one never heard from', async () => {
    renderHub({
      'GET /api/hub/sites': list(site(), library(), site({ device_id: 'pool', name: 'Pool', last_seen: null, today: null, yesterday: null, queues: [] })),
    })
    const lib = await screen.findByRole('article', { name: 'Library' })
    expect(within(lib).getByText('Last seen 25 min ago')).toBeInTheDocument()
    expect(within(lib).getByText(/^No contact for more than 10 minutes\./)).toBeInTheDocument()
    expect(within(lib).getByTestId('contact')).toHaveAttribute('data-level', 'stale')
    expect(within(lib).getByText('No queues received yet.')).toBeInTheDocument()
    expect(within(lib).getByText('Nobody has been called yet today.')).toBeInTheDocument()
    expect(within(card('Town hall')).queryByText(/No contact/)).not.toBeInTheDocument()

    const pool = card('Pool')
    expect(within(pool).getByText('Not in contact yet')).toBeInTheDocument()
    expect(within(pool).getByRole('row', { name: 'Served – –' })).toBeInTheDocument()
    expect(within(pool).getByRole('button', { name: /^Download CSV: today/ })).toBeDisabled()

    expect(screen.getByTestId('hub-summary')).toHaveTextContent('3 sites · 1 not in contact')
  })

  it.each([
    [401, 'bad_credentials'],
    [403, 'forbidden'],
  ])('says clearly when the token is wrong (%i)', async (status, code) => {
    renderHub({ 'GET /api/hub/sites': () => ({ status, body: { error: { code, message: 'No.' } } }) })
    expect(await screen.findByRole('heading', { name: 'That token is not the hub’s admin token' })).toBeInTheDocument()
    expect(screen.getByRole('alert')).toHaveTextContent(/admin_token in the hub’s data folder/)
    expect(screen.getByLabelText('Hub admin token')).toBeInTheDocument()
    expect(localStorage.getItem('qode.hubToken')).toBeNull()
  })

  it('asks for the token when there is none, and uses a pasted one', async () => {
    renderHub({ 'GET /api/hub/sites': list(site()) }, { hash: '' })
    expect(await screen.findByRole('heading', { name: 'This page needs the hub’s admin token' })).toBeInTheDocument()
    expect(fetchMock).not.toHaveBeenCalled()
    await userEvent.type(screen.getByLabelText('Hub admin token'), TOKEN)
    await userEvent.click(screen.getByRole('button', { name: 'Use this token' }))
    expect(await screen.findByRole('article', { name: 'Town hall' })).toBeInTheDocument()
    expect(localStorage.getItem('qode.hubToken')).toBe(TOKEN)
  })

  it('says so when the box is not a hub', async () => {
    renderHub({}) // every route answers 404
    expect(await screen.findByRole('heading', { name: 'This box is not a hub' })).toBeInTheDocument()
    expect(screen.getByText(/qode serve --hub/)).toBeInTheDocument()
  })

  it('says what went wrong when the first load fails, and tries again', async () => {
    let fail = true
    renderHub({
      'GET /api/hub/sites': () => {
        if (fail) throw new TypeError('Failed to fetch')
        return { body: { sites: [site()] } }
      },
    })
    expect(await screen.findByRole('alert')).toHaveTextContent('The sites could not be loaded: No connection to the queue.')
    fail = false
    await userEvent.click(screen.getByRole('button', { name: 'Try again' }))
    expect(await screen.findByRole('article', { name: 'Town hall' })).toBeInTheDocument()
  })

  it('keeps the last list when a refresh fails, and says so politely', async () => {
    let answer = () => ({ body: { sites: [site()] } })
    renderHub({ 'GET /api/hub/sites': (init) => answer(init) })
    await screen.findByRole('article', { name: 'Town hall' })

    answer = () => ({ status: 503, body: { error: { code: 'unavailable', message: 'The hub is busy.' } } })
    await userEvent.click(screen.getByRole('button', { name: 'Refresh now' }))
    const status = await screen.findByText(/^Could not refresh at/)
    expect(status).toHaveTextContent(/The hub is busy\. Showing the data from .+\. The page tries again by itself\./)
    expect(status.closest('[role="status"]')).not.toBeNull()
    expect(card('Town hall')).toBeInTheDocument()
    expect(within(card('Town hall')).getByText('Now serving A012 · 4 waiting')).toBeInTheDocument()

    answer = () => ({ body: { sites: [site({ queues: [{ queue_id: 'q-1', name: 'Front desk', prefix: 'A', now_serving: 'A013', waiting: 3 }] })] } })
    await userEvent.click(screen.getByRole('button', { name: 'Refresh now' }))
    expect(await screen.findByText('Now serving A013 · 3 waiting')).toBeInTheDocument()
    expect(screen.queryByText(/^Could not refresh/)).not.toBeInTheDocument()
  })

  it('refreshes every 30 seconds and when the page comes back into view', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    renderHub({ 'GET /api/hub/sites': list(site()) })
    await screen.findByRole('article', { name: 'Town hall' })
    expect(calls('GET', '/api/hub/sites')).toHaveLength(1)

    await act(async () => {
      vi.advanceTimersByTime(30000)
    })
    expect(calls('GET', '/api/hub/sites')).toHaveLength(2)
    // That refresh is over (a refresh in flight is not started twice) before the page comes back.
    await screen.findByRole('button', { name: 'Refresh now' })

    await act(async () => {
      document.dispatchEvent(new Event('visibilitychange'))
    })
    expect(calls('GET', '/api/hub/sites')).toHaveLength(3)
  })

  it('downloads a day’s CSV with the token in the header, never in the address', async () => {
    const csv = vi.fn(
      () =>
        new Response('queue,number\nFront desk,A001\n', {
          status: 200,
          headers: { 'Content-Type': 'text/csv', 'Content-Disposition': 'attachment; filename="qode-townhall-1-2026-11-25.csv"' },
        }),
    )
    const createObjectURL = vi.fn(() => 'blob:http://localhost/1')
    vi.stubGlobal('URL', Object.assign(globalThis.URL, { createObjectURL, revokeObjectURL: vi.fn() }))
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function () {
      click.saved = { href: this.href, download: this.download }
    })
    renderHub({ 'GET /api/hub/sites': list(site()), 'GET /api/hub/sites/townhall-1/export.csv': csv })
    const townHall = await screen.findByRole('article', { name: 'Town hall' })

    await userEvent.click(within(townHall).getByRole('button', { name: 'Download CSV: yesterday (2026-11-25), Town hall' }))
    expect(csv).toHaveBeenCalledTimes(1)
    const [url, init] = calls('GET', '/api/hub/sites/townhall-1/export.csv')[0]
    expect(new URL(url, 'http://localhost').searchParams.get('day')).toBe('2026-11-25')
    expect(url).not.toContain(TOKEN)
    expect(init.headers.Authorization).toBe(`Bearer ${TOKEN}`)
    expect(createObjectURL).toHaveBeenCalledTimes(1)
    expect(await createObjectURL.mock.calls[0][0].text()).toBe('queue,number\nFront desk,A001\n')
    expect(click.saved).toEqual({ href: 'blob:http://localhost/1', download: 'qode-townhall-1-2026-11-25.csv' })

    await userEvent.click(within(townHall).getByRole('button', { name: 'Download CSV: today (2026-11-26), Town hall' }))
    expect(new URL(calls('GET', '/api/hub/sites/townhall-1/export.csv')[1][0], 'http://localhost').searchParams.get('day')).toBe('2026-11-26')
  })

  it('shows each service’s figures of today and downloads a day’s figures CSV (issue 15)', async () => {
    const row = (queue_id, service, figures) => ({
      service_day: '2026-11-26', queue_id, service, counter_id: null, counter: null, staff: null,
      served: 0, priority_served: 0, no_shows: 0, transfers_out: 0, transfers_in: 0, waited_count: 0,
      waited_seconds: 0, waited_mean_seconds: null, served_time_count: 0, served_time_seconds: 0,
      served_time_mean_seconds: null, ...figures,
    })
    const services = [
      row('q-1', 'Front desk', { served: 20, no_shows: 1, transfers_out: 3, waited_mean_seconds: 420, priority_served: 2 }),
      row('q-2', 'Passports', { served: 11, no_shows: 1, transfers_in: 3, waited_mean_seconds: 30 }),
    ]
    const csv = vi.fn(() => new Response('service_day,queue_id\n', { status: 200, headers: { 'Content-Type': 'text/csv' } }))
    vi.stubGlobal('URL', Object.assign(globalThis.URL, { createObjectURL: vi.fn(() => 'blob:x'), revokeObjectURL: vi.fn() }))
    const click = vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function () {
      click.saved = this.download
    })
    renderHub({
      'GET /api/hub/sites': list(site({ today: { ...site().today, services } }), library()),
      'GET /api/hub/sites/townhall-1/stats': csv,
    })
    const townHall = await screen.findByRole('article', { name: 'Town hall' })
    expect(within(townHall).getByRole('heading', { name: 'Today per service' })).toBeInTheDocument()
    const [desk, passports] = within(townHall).getAllByTestId('service-figures')
    expect(desk).toHaveTextContent('Front desk')
    expect(desk).toHaveTextContent('Served20')
    expect(desk).toHaveTextContent('Average wait7 min')
    expect(desk).toHaveTextContent('Sent on3')
    expect(desk).toHaveTextContent('Priority served2')
    expect(passports).toHaveTextContent('Received3')
    expect(passports).toHaveTextContent('Average wait< 1 min')
    // a site without several services has no per-service rows: its figures are its one service's
    expect(within(card('Library')).queryByTestId('service-figures')).not.toBeInTheDocument()

    await userEvent.click(within(townHall).getByRole('button', { name: 'Download figures CSV: today (2026-11-26), Town hall' }))
    const [url, init] = calls('GET', '/api/hub/sites/townhall-1/stats')[0]
    const query = new URL(url, 'http://localhost').searchParams
    expect([query.get('day'), query.get('format')]).toEqual(['2026-11-26', 'csv'])
    expect(init.headers.Authorization).toBe(`Bearer ${TOKEN}`)
    expect(click.saved).toBe('qode-townhall-1-stats-2026-11-26.csv')
  })

  it('says so when a CSV cannot be downloaded', async () => {
    renderHub({
      'GET /api/hub/sites': list(site()),
      'GET /api/hub/sites/townhall-1/export.csv': () => jsonResponse(404, { error: { code: 'site_not_found', message: 'No such site.' } }),
    })
    const townHall = await screen.findByRole('article', { name: 'Town hall' })
    await userEvent.click(within(townHall).getByRole('button', { name: /^Download CSV: today/ }))
    expect(await within(townHall).findByText('The CSV could not be downloaded: No such site.')).toBeInTheDocument()
  })

  it('adds a site and shows its key once, with the three settings lines', async () => {
    let sites = [site()]
    const create = vi.fn((init) => {
      const body = JSON.parse(init.body)
      sites = [...sites, site({ ...body, last_seen: null, events: 0, queues: [], today: null, yesterday: null })]
      return { status: 201, body: { ...body, key: 'sync-key-abc123' } }
    })
    renderHub({ 'GET /api/hub/sites': () => ({ body: { sites } }), 'POST /api/hub/sites': create })
    await screen.findByRole('article', { name: 'Town hall' })

    await userEvent.type(screen.getByLabelText('Device id'), 'library-2')
    await userEvent.type(screen.getByLabelText('Name'), 'Library')
    await userEvent.click(screen.getByRole('button', { name: 'Add site' }))

    const shown = await screen.findByTestId('new-key')
    expect(JSON.parse(create.mock.calls[0][0].body)).toEqual({ device_id: 'library-2', name: 'Library' })
    expect(create.mock.calls[0][0].headers.Authorization).toBe(`Bearer ${TOKEN}`)
    expect(within(shown).getByText('The site “Library” is added.')).toBeInTheDocument()
    expect(within(shown).getByText('Copy these three lines now: the key is shown only this once.')).toBeInTheDocument()
    expect(within(shown).getByRole('textbox', { name: 'Settings for Library' })).toHaveValue(
      `QODE_SYNC_URL=${location.origin}\nQODE_DEVICE_ID=library-2\nQODE_SYNC_KEY=sync-key-abc123`,
    )
    expect(await screen.findByRole('article', { name: 'Library' })).toBeInTheDocument()
    expect(within(card('Library')).getByText('Not in contact yet')).toBeInTheDocument()
    expect(screen.getByLabelText('Device id')).toHaveValue('')
    expect(localStorage.length).toBe(1) // the hub token only: the key is kept nowhere

    await userEvent.click(within(shown).getByRole('button', { name: 'I have saved the lines' }))
    expect(screen.queryByTestId('new-key')).not.toBeInTheDocument()
    expect(document.body).not.toHaveTextContent('sync-key-abc123')
  })

  it('says when the device id is taken (409), and checks the fields before sending', async () => {
    const create = vi.fn(() => ({ status: 409, body: { error: { code: 'site_exists', message: 'A site with that device id exists already.' } } }))
    renderHub({ 'GET /api/hub/sites': list(site()), 'POST /api/hub/sites': create })
    await screen.findByRole('article', { name: 'Town hall' })

    await userEvent.type(screen.getByLabelText('Device id'), 'town hall')
    await userEvent.click(screen.getByRole('button', { name: 'Add site' }))
    expect(screen.getByText('Use 1 to 64 letters, digits, - or _ (no spaces).')).toBeInTheDocument()
    expect(screen.getByText('Give the site a name of 1 to 80 characters.')).toBeInTheDocument()
    expect(create).not.toHaveBeenCalled()

    await userEvent.clear(screen.getByLabelText('Device id'))
    await userEvent.type(screen.getByLabelText('Device id'), 'townhall-1')
    await userEvent.type(screen.getByLabelText('Name'), 'Town hall')
    await userEvent.click(screen.getByRole('button', { name: 'Add site' }))
    expect(await screen.findByRole('alert')).toHaveTextContent('A site with the device id “townhall-1” exists already. Choose another device id.')
    expect(screen.queryByTestId('new-key')).not.toBeInTheDocument()
  })

  it('speaks German', async () => {
    setLanguage('de')
    renderHub({ 'GET /api/hub/sites': list(site(), library()) })
    const townHall = await screen.findByRole('article', { name: 'Town hall' })
    expect(screen.getByRole('heading', { name: 'Standorte' })).toBeInTheDocument()
    expect(within(townHall).getByText('Zuletzt gemeldet vor 3 Min.')).toBeInTheDocument()
    expect(within(townHall).getByText('Aktuell an der Reihe: A012 · 4 in der Warteschlange')).toBeInTheDocument()
    expect(within(townHall).getByRole('row', { name: 'Bedient 31 28' })).toBeInTheDocument()
    expect(within(townHall).getByRole('button', { name: 'CSV herunterladen: heute (2026-11-26), Town hall' })).toBeInTheDocument()
    expect(within(card('Library')).getByText(/^Seit über 10 Minuten keine Verbindung\./)).toBeInTheDocument()
    expect(screen.getByTestId('hub-summary')).toHaveTextContent('2 Standorte · 1 ohne Verbindung')
    expect(screen.getByRole('heading', { name: 'Standort hinzufügen' })).toBeInTheDocument()
  })
})

describe('hub helpers', () => {
  it('reads the hours of the chart: gaps filled, nonsense left out', () => {
    expect(hourBars([{ hour: 14, called: 2, avg_wait_seconds: 60 }, { hour: 12, called: 1, avg_wait_seconds: 30 }, { hour: 30, called: 1, avg_wait_seconds: 1 }, { hour: 13, called: 0, avg_wait_seconds: null }])).toEqual([
      { hour: 12, count: 1, averageWait: 30 },
      { hour: 13, count: 0, averageWait: null },
      { hour: 14, count: 2, averageWait: 60 },
      ...[15, 16, 17, 18, 19].map((hour) => ({ hour, count: 0, averageWait: null })),
    ])
    // One late hour: still eight on the axis, the rest of the day and then earlier ones, not past midnight.
    expect(hourBars([{ hour: 22, called: 1, avg_wait_seconds: 60 }]).map((b) => b.hour)).toEqual([16, 17, 18, 19, 20, 21, 22, 23])
    expect(hourBars(undefined)).toEqual([])
  })

  it('takes the file name from Content-Disposition', () => {
    expect(attachmentName('attachment; filename="qode-a-2026-11-26.csv"')).toBe('qode-a-2026-11-26.csv')
    expect(attachmentName(null)).toBeNull()
    expect(attachmentName('attachment; filename="../x.csv"')).toBe('.._x.csv')
  })
})
