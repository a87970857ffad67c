import { configure, render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import App from '../App.jsx'
import { queue, routeFetch } from '../test/fixtures.js'

const ADMIN = 'admin-token-0123456789abcdef'
let fetchMock

function renderSetup(routes, { hash = `#token=${ADMIN}` } = {}) {
  fetchMock = vi.fn(routeFetch(routes))
  vi.stubGlobal('fetch', fetchMock)
  window.history.replaceState(null, '', `/setup${hash}`)
  return render(<App />)
}

const list = (...queues) => () => ({ body: { queues } })
const card = (name) => screen.getByRole('article', { name })
const linkField = (scope, label) => within(scope).getByRole('textbox', { name: label })

// The page is a lazy chunk of App: load it once up front, so the first test does not spend its
// find-timeout on the transform (slow on a busy machine).
beforeAll(() => import('./SetupView.jsx'), 60_000)
// A page of several lazy parts: give find* more than 1 s on a machine shared by many jobs.
configure({ asyncUtilTimeout: 5000 })

afterEach(() => {
  vi.unstubAllGlobals()
  window.history.replaceState(null, '', '/')
})

describe('SetupView', () => {
  it('moves the admin token from the fragment to localStorage and lists the queues', async () => {
    renderSetup({
      'GET /api/queues': list(queue(), queue({ id: 'q-2', name: 'Pharmacy', prefix: 'P', waiting_count: 1 })),
    })
    expect(await screen.findByRole('heading', { name: 'Front desk' })).toBeInTheDocument()
    expect(screen.getByRole('heading', { name: 'Pharmacy' })).toBeInTheDocument()
    expect(localStorage.getItem('qode.adminToken')).toBe(ADMIN)
    expect(window.location.hash).toBe('')
    const listCall = fetchMock.mock.calls.find(([url]) => String(url).endsWith('/api/queues'))
    expect(listCall[1].headers.Authorization).toBe(`Bearer ${ADMIN}`)

    const pharmacy = card('Pharmacy')
    expect(within(pharmacy).getByText('Open · Prefix P · 1 waiting')).toBeInTheDocument()
    expect(linkField(pharmacy, 'Join link: Pharmacy')).toHaveValue(`${location.origin}/join/q-2`)
    expect(linkField(pharmacy, 'Display link: Pharmacy')).toHaveValue(`${location.origin}/display/q-2`)
    expect(within(pharmacy).getByRole('img', { name: 'QR code of the join link for Pharmacy' })).toHaveAttribute(
      'src',
      '/api/queues/q-2/join-qr.svg',
    )
    // The host link of an existing queue is not known: only a new one can be made.
    expect(within(pharmacy).getByText(/The host link is shown only when it is made/)).toBeInTheDocument()
  })

  it('creates a queue and shows its host link', async () => {
    const create = vi.fn(() => ({
      status: 201,
      body: {
        ...queue({ id: 'q-9', name: 'Town hall', prefix: 'T', waiting_count: 0 }),
        host_token: 'host-secret',
        host_url: 'http://192.168.1.20:8000/host/q-9#token=host-secret',
      },
    }))
    const qr = vi.fn(() => ({ body: { svg: '<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0"/></svg>' } }))
    renderSetup({ 'GET /api/queues': list(queue()), 'POST /api/queues': create, 'POST /api/qr': qr })
    await screen.findByRole('heading', { name: 'Front desk' })

    await userEvent.type(screen.getByLabelText('Name'), 'Town hall')
    await userEvent.type(screen.getByLabelText('Prefix (optional)'), 'T')
    await userEvent.click(screen.getByRole('button', { name: 'Create queue' }))

    const townHall = await screen.findByRole('article', { name: 'Town hall' })
    expect(JSON.parse(create.mock.calls[0][0].body)).toEqual({ name: 'Town hall', prefix: 'T' })
    expect(create.mock.calls[0][0].headers.Authorization).toBe(`Bearer ${ADMIN}`)
    expect(linkField(townHall, 'Host link: Town hall')).toHaveValue('http://192.168.1.20:8000/host/q-9#token=host-secret')
    expect(within(townHall).getByText('Save this link now: it is shown only this once.')).toBeInTheDocument()
    // the host link's QR is drawn by the box (POST /api/qr) and shown as a data: image
    const hostQr = await within(townHall).findByRole('img', { name: 'QR code of the host link for Town hall' })
    expect(hostQr.getAttribute('src')).toMatch(/^data:image\/svg\+xml;charset=utf-8,%3Csvg/)
    expect(JSON.parse(qr.mock.calls[0][0].body)).toEqual({ url: 'http://192.168.1.20:8000/host/q-9#token=host-secret' })
    expect(screen.getByText(/The queue “Town hall” is ready\./)).toHaveAttribute('role', 'status')
    // The new queue's details are open, its summary line focused.
    expect(townHall.querySelector('details')).toHaveAttribute('open')
    expect(townHall.querySelector('summary')).toHaveFocus()
    expect(screen.getByLabelText('Name')).toHaveValue('')
  })

  it('checks the prefix before sending', async () => {
    const create = vi.fn()
    renderSetup({ 'GET /api/queues': list(), 'POST /api/queues': create })
    expect(await screen.findByText('No queues yet: create the first one under “New queue”.')).toBeInTheDocument()
    await userEvent.type(screen.getByLabelText('Name'), 'Desk')
    await userEvent.type(screen.getByLabelText('Prefix (optional)'), 'A-1')
    await userEvent.click(screen.getByRole('button', { name: 'Create queue' }))
    expect(screen.getByText('The prefix can have at most 4 letters or digits, nothing else.')).toBeInTheDocument()
    expect(create).not.toHaveBeenCalled()
  })

  it.each([401, 403])('says clearly when the admin token is wrong (%i)', async (status) => {
    renderSetup({
      'GET /api/queues': () => ({ status, body: { error: { code: 'bad_credentials', message: 'That token is not valid.' } } }),
    })
    expect(await screen.findByRole('heading', { name: 'That admin token is not valid' })).toBeInTheDocument()
    expect(screen.queryByRole('button', { name: 'Create queue' })).not.toBeInTheDocument()
    expect(localStorage.getItem('qode.adminToken')).toBeNull()
  })

  it('takes a new setup link pasted into the same tab (only the fragment changes)', async () => {
    renderSetup({
      'GET /api/queues': (init) =>
        init.headers.Authorization === `Bearer ${ADMIN}`
          ? { body: { queues: [queue()] } }
          : { status: 401, body: { error: { code: 'bad_credentials', message: 'No.' } } },
    }, { hash: '#token=wrong-token' })
    expect(await screen.findByRole('heading', { name: 'That admin token is not valid' })).toBeInTheDocument()
    window.location.hash = `#token=${ADMIN}`
    expect(await screen.findByRole('heading', { name: 'Front desk' })).toBeInTheDocument()
    expect(localStorage.getItem('qode.adminToken')).toBe(ADMIN)
    expect(window.location.hash).toBe('')
  })

  it('asks for the token when there is none, and uses a pasted one', async () => {
    renderSetup({ 'GET /api/queues': list(queue()) }, { hash: '' })
    expect(screen.getByRole('heading', { name: 'This page needs the admin token' })).toBeInTheDocument()
    await userEvent.type(screen.getByLabelText('Admin token'), ADMIN)
    await userEvent.click(screen.getByRole('button', { name: 'Use this token' }))
    expect(await screen.findByRole('heading', { name: 'Front desk' })).toBeInTheDocument()
    expect(localStorage.getItem('qode.adminToken')).toBe(ADMIN)
  })

  it('adds a kiosk and shows its link; adds a display and shows the display link', async () => {
    const addDevice = vi.fn((init) => {
      const body = JSON.parse(init.body)
      return {
        status: 201,
        body: { id: `d-${body.kind}`, queue_id: 'q-1', kind: body.kind, name: body.name, token: `${body.kind}-secret` },
      }
    })
    renderSetup({ 'GET /api/queues': list(queue()), 'POST /api/queues/q-1/devices': addDevice })
    const desk = await screen.findByRole('article', { name: 'Front desk' })

    await userEvent.type(within(desk).getByLabelText('Device name (optional)'), 'Entrance')
    await userEvent.click(within(desk).getByRole('button', { name: 'Add kiosk' }))
    expect(await within(desk).findByText('Kiosk “Entrance”')).toBeInTheDocument()
    expect(linkField(desk, 'Kiosk “Entrance”')).toHaveValue(`${location.origin}/kiosk/q-1#token=kiosk-secret`)
    expect(JSON.parse(addDevice.mock.calls[0][0].body)).toEqual({ name: 'Entrance', kind: 'kiosk' })
    // The printer kiosk's two settings lines, for /etc/qode/kiosk-NAME.env.
    expect(within(desk).getByText(/QODE_KIOSK_QUEUE=q-1\s+QODE_KIOSK_TOKEN=kiosk-secret/)).toBeInTheDocument()

    await userEvent.click(within(desk).getByRole('button', { name: 'Add display' }))
    expect(await within(desk).findByText('Display “Display”')).toBeInTheDocument()
    expect(linkField(desk, 'Display “Display”')).toHaveValue(`${location.origin}/display/q-1#token=display-secret`)
    expect(JSON.parse(addDevice.mock.calls[1][0].body)).toEqual({ name: 'Display', kind: 'display' })
    expect(within(desk).getAllByText(/QODE_KIOSK_TOKEN=/)).toHaveLength(1) // a display has none
  })

  it('makes a new host link after a warning', async () => {
    const rotate = vi.fn(() => ({ body: { host_token: 'new', host_url: 'http://box/host/q-1#token=new' } }))
    renderSetup({ 'GET /api/queues': list(queue()), 'POST /api/queues/q-1/rotate-token': rotate })
    const desk = await screen.findByRole('article', { name: 'Front desk' })
    await userEvent.click(within(desk).getByRole('button', { name: 'New host link' }))
    expect(within(desk).getByText(/The old host link stops working at once/)).toBeInTheDocument()
    expect(rotate).not.toHaveBeenCalled()
    await userEvent.click(within(desk).getByRole('button', { name: 'Yes, make a new host link' }))
    expect(await within(desk).findByRole('textbox', { name: 'Host link: Front desk' })).toHaveValue('http://box/host/q-1#token=new')
    expect(rotate).toHaveBeenCalledTimes(1)
  })

  it('offers the box certificate with steps per device, and gives staff links the https address', async () => {
    const tls = {
      staff_url: 'https://192.168.1.20:8443',
      public_url: 'http://192.168.1.20:8000',
      ca_url: '/ca.crt',
      staff_https: 'remote',
    }
    const addDevice = vi.fn(() => ({ status: 201, body: { id: 'd-1', queue_id: 'q-1', kind: 'kiosk', name: 'Door', token: 'kiosk-secret' } }))
    renderSetup({ 'GET /api/queues': list(queue()), 'GET /api/tls': () => ({ body: tls }), 'POST /api/queues/q-1/devices': addDevice })
    const desk = await screen.findByRole('article', { name: 'Front desk' })
    const section = await screen.findByRole('region', { name: 'Staff devices: the secure address' })
    // This test page is plain http: it points to the https setup page (the token goes along in the fragment).
    expect(within(section).getByRole('link', { name: /Open the secure setup page/ })).toHaveAttribute(
      'href',
      `https://192.168.1.20:8443/setup#token=${ADMIN}`,
    )
    // The CA certificate from the guests' (plain http) address, with the steps for each kind of device.
    expect(within(section).getByRole('link', { name: 'Download the box’s certificate' })).toHaveAttribute('href', 'http://192.168.1.20:8000/ca.crt')
    for (const device of ['iPad (iPadOS)', 'Android', 'Chromebook (ChromeOS)']) {
      expect(within(section).getByText(device)).toBeInTheDocument()
    }
    expect(within(section).getByText(/Certificate Trust Settings/)).toBeInTheDocument()
    expect(within(section).getByText(/Install a certificate → CA certificate/)).toBeInTheDocument()
    expect(within(section).getByText(/chrome:\/\/settings\/certificates/)).toBeInTheDocument()
    // Guests keep http; the display and kiosk links use https.
    expect(linkField(desk, 'Join link: Front desk')).toHaveValue('http://192.168.1.20:8000/join/q-1')
    expect(linkField(desk, 'Display link: Front desk')).toHaveValue('https://192.168.1.20:8443/display/q-1')
    await userEvent.type(within(desk).getByLabelText('Device name (optional)'), 'Door')
    await userEvent.click(within(desk).getByRole('button', { name: 'Add kiosk' }))
    expect(await within(desk).findByRole('textbox', { name: 'Kiosk “Door”' })).toHaveValue('https://192.168.1.20:8443/kiosk/q-1#token=kiosk-secret')
  })

  it('keeps the token and points to https when the box refuses it over plain http', async () => {
    const tls = { staff_url: 'https://192.168.1.20:8443', public_url: 'http://192.168.1.20:8000', ca_url: '/ca.crt', staff_https: 'remote' }
    const refused = {
      status: 403,
      body: { error: { code: 'https_required', message: 'Staff tokens are refused over plain http here. Use https://192.168.1.20:8443.' } },
    }
    renderSetup({ 'GET /api/queues': () => refused, 'GET /api/tls': () => ({ body: tls }) })
    expect(await screen.findByText(/Staff tokens are refused over plain http here/)).toBeInTheDocument()
    expect(screen.queryByRole('heading', { name: 'That admin token is not valid' })).not.toBeInTheDocument()
    expect(localStorage.getItem('qode.adminToken')).toBe(ADMIN)
    expect(await screen.findByRole('link', { name: /Open the secure setup page/ })).toHaveAttribute(
      'href',
      `https://192.168.1.20:8443/setup#token=${ADMIN}`,
    )
  })

  it('says plainly when the box has no https address yet', async () => {
    const tls = { staff_url: 'http://192.168.1.20:8000', public_url: 'http://192.168.1.20:8000', ca_url: null, staff_https: 'remote' }
    renderSetup({ 'GET /api/queues': list(queue()), 'GET /api/tls': () => ({ body: tls }) })
    await screen.findByRole('article', { name: 'Front desk' })
    expect(await screen.findByText(/This box has no secure address yet/)).toBeInTheDocument()
    expect(screen.queryByRole('link', { name: 'Download the box’s certificate' })).not.toBeInTheDocument()
  })

  it('opens a printable poster with the join QR code', async () => {
    renderSetup({ 'GET /api/queues': list(queue()) })
    const desk = await screen.findByRole('article', { name: 'Front desk' })
    await userEvent.click(within(desk).getByRole('button', { name: 'Print poster' }))
    expect(screen.getByRole('heading', { name: 'Front desk' })).toBeInTheDocument()
    expect(screen.getByText('Scan to join')).toBeInTheDocument()
    expect(screen.getByRole('img', { name: 'QR code to join Front desk' })).toHaveAttribute('src', '/api/queues/q-1/join-qr.svg')
    const print = vi.fn()
    vi.stubGlobal('print', print)
    await userEvent.click(screen.getByRole('button', { name: 'Print' }))
    expect(print).toHaveBeenCalled()
    await userEvent.click(screen.getByRole('button', { name: 'Back to setup' }))
    expect(screen.getByRole('article', { name: 'Front desk' })).toBeInTheDocument()
  })

  it('shows two queues as one line each, opened on demand', async () => {
    renderSetup({ 'GET /api/queues': list(queue(), queue({ id: 'q-2', name: 'Pharmacy', prefix: 'P', waiting_count: 1 })) })
    const pharmacy = await screen.findByRole('article', { name: 'Pharmacy' })
    const details = pharmacy.querySelector('details')
    expect(details).not.toHaveAttribute('open')
    const summary = pharmacy.querySelector('summary')
    expect(summary).toHaveTextContent('Pharmacy')
    expect(summary).toHaveTextContent('Open · Prefix P · 1 waiting')
    await userEvent.click(summary)
    expect(details).toHaveAttribute('open')
  })

  it('lists the devices with their status, and removes one after a warning', async () => {
    const devices = [
      { id: 'd-1', kind: 'kiosk', name: 'Door', printer: 'paper_low', printer_detail: null, error: null, status_at: null, last_seen: null, connected: true },
      { id: 'd-2', kind: 'display', name: 'TV', printer: null, printer_detail: null, error: null, status_at: null, last_seen: new Date(Date.now() - 7 * 60000).toISOString(), connected: false },
    ]
    const revoke = vi.fn(() => ({ body: { ...devices[0], revoked_at: '2026-11-26T10:00:00Z' } }))
    renderSetup({
      'GET /api/queues': list(queue()),
      'GET /api/queues/q-1/devices': () => ({ body: { devices } }),
      'DELETE /api/queues/q-1/devices/d-1': revoke,
    })
    const listOf = await screen.findByRole('list', { name: 'Devices of Front desk' })
    expect(within(listOf).getByTestId('device-d-1')).toHaveTextContent('Kiosk “Door”Connected now · Paper low')
    expect(within(listOf).getByTestId('device-d-2')).toHaveTextContent('Display “TV”Last seen 7 min ago')
    await userEvent.click(within(listOf).getByRole('button', { name: 'Remove Door' }))
    expect(within(listOf).getByText(/Its link and token stop working at once/)).toBeInTheDocument()
    expect(revoke).not.toHaveBeenCalled()
    await userEvent.click(within(listOf).getByRole('button', { name: 'Yes, remove it' }))
    expect(await screen.findByText('“Door” was removed: its link no longer works.')).toBeInTheDocument()
    expect(revoke).toHaveBeenCalledTimes(1)
    expect(revoke.mock.calls[0][0].headers.Authorization).toBe(`Bearer ${ADMIN}`)
    expect(screen.queryByTestId('device-d-1')).not.toBeInTheDocument()
    expect(screen.getByTestId('device-d-2')).toBeInTheDocument()
    // The focused "Yes, remove it" left with its row: the keyboard carries on from the list's title.
    expect(document.activeElement.textContent).toBe('Registered devices')
  })

  it('shows the services a kiosk covers and changes them, keeping its link', async () => {
    const door = { id: 'd-1', kind: 'kiosk', name: 'Door', printer: null, printer_detail: null, error: null, status_at: null, last_seen: null, connected: true }
    const covers = (...pairs) => pairs.map(([id, name]) => ({ id, name, prefix: name[0] }))
    const devices = [{ ...door, services: covers(['q-1', 'Front desk']) }]
    let answer = { ...door, services: covers(['q-1', 'Front desk'], ['q-3', 'Payments']) }
    const change = vi.fn(() => ({ body: answer }))
    renderSetup({
      'GET /api/queues': list(queue(), queue({ id: 'q-2', name: 'Pharmacy', prefix: 'P' }), queue({ id: 'q-3', name: 'Payments', prefix: 'Y' })),
      'GET /api/queues/q-1/devices': () => ({ body: { devices } }),
      'PATCH /api/queues/q-1/devices/d-1': change,
    })
    const card = await screen.findByRole('article', { name: 'Front desk' })
    await userEvent.click(card.querySelector('summary'))
    const row = await within(card).findByTestId('device-d-1')
    expect(row).toHaveTextContent('Services: Front desk')
    await userEvent.click(within(row).getByRole('button', { name: 'Change services of Door' }))
    const form = within(row).getByRole('form', { name: 'Change services of Door' })
    // Its home service always stays: only the others are offered.
    expect(within(form).getByRole('group', { name: 'Besides Front desk, it covers:' })).toBeInTheDocument()
    expect(within(form).queryByLabelText(/Front desk/)).not.toBeInTheDocument()
    expect(within(form).getByLabelText(/Pharmacy/)).toHaveFocus() // the keyboard goes on in the form
    await userEvent.click(within(form).getByLabelText(/Payments/))
    await userEvent.click(within(form).getByRole('button', { name: 'Save services' }))
    expect(await screen.findByText('“Door” now covers: Front desk, Payments. A kiosk shows the change within a minute.')).toBeInTheDocument()
    expect(JSON.parse(change.mock.calls[0][0].body)).toEqual({ services: ['q-1', 'q-3'] })
    expect(change.mock.calls[0][0].headers.Authorization).toBe(`Bearer ${ADMIN}`)
    expect(row).toHaveTextContent('Services: Front desk, Payments')
    expect(within(row).queryByRole('form')).not.toBeInTheDocument()
    expect(within(row).getByRole('button', { name: 'Change services of Door' })).toHaveFocus()

    // A refusal is said in words and the form stays to try again.
    answer = null
    change.mockImplementation(() => ({ status: 422, body: { error: { code: 'unknown_service', message: 'No service with the id q-2.' } } }))
    await userEvent.click(within(row).getByRole('button', { name: 'Change services of Door' }))
    await userEvent.click(within(row).getByLabelText(/Pharmacy/))
    await userEvent.click(within(row).getByRole('button', { name: 'Save services' }))
    expect(await screen.findByText(/No service with the id q-2/)).toBeInTheDocument()
    expect(within(row).getByRole('form')).toBeInTheDocument()
    expect(row).toHaveTextContent('Services: Front desk, Payments')
  }, 20000)

  it('guides a first run: queue, then poster, then TV, ticking off what is done', async () => {
    const create = vi.fn(() => ({ status: 201, body: { ...queue({ id: 'q-9', name: 'Town hall' }), host_token: 'h', host_url: 'http://box/host/q-9#token=h' } }))
    renderSetup({ 'GET /api/queues': list(), 'POST /api/queues': create, 'POST /api/qr': () => ({ body: { svg: '<svg/>' } }) })
    await screen.findByRole('region', { name: 'Get started in three steps' })
    // Asked afresh each time: the poster replaces the page, and Back draws it anew.
    const step = (name) => screen.getByTestId('first-run').querySelector(`[data-step="${name}"]`)
    expect(['queue', 'poster', 'tv'].map((name) => step(name).dataset.done)).toEqual(['false', 'false', 'false'])
    expect(step('queue')).toHaveAttribute('aria-current', 'step')
    expect(within(step('queue')).getByRole('link', { name: 'Go to “New queue”' })).toHaveAttribute('href', '#queue-name')

    await userEvent.type(screen.getByLabelText('Name'), 'Town hall')
    await userEvent.click(screen.getByRole('button', { name: 'Create queue' }))
    await screen.findByRole('article', { name: 'Town hall' })
    expect(step('queue').dataset.done).toBe('true')
    expect(step('queue')).toHaveTextContent('(Done)')
    expect(step('poster')).toHaveAttribute('aria-current', 'step')

    await userEvent.click(within(step('poster')).getByRole('button', { name: 'Poster for Town hall' }))
    await userEvent.click(screen.getByRole('button', { name: 'Back to setup' }))
    expect(step('poster').dataset.done).toBe('true')
    const tv = within(step('tv')).getByRole('link', { name: 'Open the display of Town hall' })
    expect(tv).toHaveAttribute('href', `${location.origin}/display/q-9`)
    tv.addEventListener('click', (event) => event.preventDefault()) // jsdom cannot open a tab
    await userEvent.click(tv)
    // All three done: the guide steps aside.
    expect(screen.queryByRole('region', { name: 'Get started in three steps' })).not.toBeInTheDocument()
    expect(JSON.parse(localStorage.getItem('qode.setup.firstRun'))).toEqual({ started: true, poster: true, tv: true })
  })

  it('does not push the guide on a box that already has queues', async () => {
    renderSetup({ 'GET /api/queues': list(queue()) })
    await screen.findByRole('article', { name: 'Front desk' })
    expect(screen.queryByTestId('first-run')).not.toBeInTheDocument()
  })

  it('sets up several services: counters, staff links and the join page where guests choose (issue 15)', async () => {
    renderSetup({
      'GET /api/queues': list(queue({ id: 'q-p', name: 'Passports', prefix: 'P' }), queue({ id: 'q-y', name: 'Payments', prefix: 'Y' })),
      'GET /api/counters': () => ({ body: { counters: [] } }),
      'GET /api/host-tokens': () => ({ body: { tokens: [] } }),
      'POST /api/qr': () => ({ body: { svg: '<svg xmlns="http://www.w3.org/2000/svg"/>' } }),
    })
    expect(await screen.findByRole('heading', { name: 'Counters' })).toBeInTheDocument()
    expect(await screen.findByText('No counter yet.')).toBeInTheDocument()
    expect(screen.getByRole('heading', { name: 'Staff links' })).toBeInTheDocument()
    expect(await screen.findByText('No staff link yet.')).toBeInTheDocument()
    expect(screen.getByRole('textbox', { name: 'Guests choose a service' })).toHaveValue(`${location.origin}/join`)
    expect(screen.queryByRole('alert')).toBeNull()
  })
})
