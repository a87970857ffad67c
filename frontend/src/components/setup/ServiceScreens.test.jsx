import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { screensApi } from '../../lib/screensApi.js'
import { routeFetch } from '../../test/fixtures.js'
import ServiceScreens from './ServiceScreens.jsx'

const SERVICES = [
  { id: 'q-r', name: 'Reception' },
  { id: 'q-p', name: 'Passports' },
  { id: 'q-y', name: 'Payments' },
]
const ORIGINS = { staff: 'https://box.local', guest: 'http://box.local' }

let fetchMock
function renderScreens(routes = {}, services = SERVICES) {
  fetchMock = vi.fn(routeFetch({ 'POST /api/qr': () => ({ body: { svg: '<svg xmlns="http://www.w3.org/2000/svg"/>' } }), ...routes }))
  vi.stubGlobal('fetch', fetchMock)
  return render(<ServiceScreens api={screensApi('admin-token-0123456789abcdef')} services={services} origins={ORIGINS} onRejected={() => false} />)
}

afterEach(() => vi.unstubAllGlobals())

describe('ServiceScreens', () => {
  it('shows the join page where guests choose a service, with its QR, when there are several', async () => {
    renderScreens()
    expect(screen.getByRole('textbox', { name: 'Guests choose a service' })).toHaveValue('http://box.local/join')
    expect(await screen.findByRole('img', { name: 'QR code of the join page where guests choose a service' })).toBeInTheDocument()
  })

  it('leaves the join choice out with one service', () => {
    renderScreens({}, SERVICES.slice(0, 1))
    expect(screen.queryByRole('textbox', { name: 'Guests choose a service' })).toBeNull()
  })

  it('registers a display for all or for the chosen services and shows its link with its token once (issue 16)', async () => {
    const made = []
    const add = (queueId) =>
      vi.fn((init) => {
        const body = JSON.parse(init.body)
        made.push({ queueId, ...body })
        return { status: 201, body: { id: `d-${made.length}`, queue_id: queueId, kind: body.kind, name: body.name, token: `tv-secret-${made.length}`, services: [queueId, ...(body.services ?? [])] } }
      })
    renderScreens({ 'POST /api/queues/q-r/devices': add('q-r'), 'POST /api/queues/q-y/devices': add('q-y') })
    await userEvent.click(screen.getByRole('button', { name: 'Add display' }))
    expect(await screen.findByRole('textbox', { name: 'Display “Display”' })).toHaveValue('https://box.local/display?services=all#token=tv-secret-1')

    await userEvent.type(screen.getByLabelText('Device name (optional)'), 'Hall TV')
    await userEvent.click(screen.getByRole('radio', { name: 'Chosen services' }))
    await userEvent.click(screen.getByRole('button', { name: 'Add display' }))
    expect(screen.getByText('Tick at least one service.')).toBeInTheDocument()
    await userEvent.click(screen.getByRole('checkbox', { name: 'Payments' }))
    await userEvent.click(screen.getByRole('checkbox', { name: 'Passports' }))
    await userEvent.click(screen.getByRole('button', { name: 'Add display' }))
    expect(await screen.findByRole('textbox', { name: 'Display “Hall TV”' })).toHaveValue('https://box.local/display?services=q-y,q-p#token=tv-secret-2')
    expect(await screen.findByRole('img', { name: 'QR code of the link: Display “Hall TV”' })).toBeInTheDocument()
    expect(made).toEqual([
      { queueId: 'q-r', name: 'Display', kind: 'display', services: ['q-p', 'q-y'] },
      { queueId: 'q-y', name: 'Hall TV', kind: 'display', services: ['q-p'] },
    ])
  })

  it('a display added with "Speak the calls" unticked is kept quiet by the box, and its link says so (issue 16)', async () => {
    const quiet = vi.fn(() => ({ body: { id: 'd-1', kind: 'display', name: 'Display', voice: false } }))
    renderScreens({
      'POST /api/queues/q-r/devices': () => ({ status: 201, body: { id: 'd-1', queue_id: 'q-r', kind: 'display', name: 'Display', token: 'tv-secret', services: ['q-r'] } }),
      'PUT /api/queues/q-r/devices/d-1/voice': quiet,
    })
    await userEvent.click(screen.getByRole('checkbox', { name: 'Speak the calls on this TV' }))
    await userEvent.click(screen.getByRole('button', { name: 'Add display' }))
    expect(await screen.findByRole('textbox', { name: 'Display “Display”' })).toHaveValue('https://box.local/display?services=all&voice=off#token=tv-secret')
    expect(JSON.parse(quiet.mock.calls[0][0].body)).toEqual({ on: false })
  })

  it('registers a kiosk with its services and shows its link once', async () => {
    const add = vi.fn((init) => {
      const body = JSON.parse(init.body)
      return { status: 201, body: { id: 'd-1', queue_id: 'q-p', kind: body.kind, name: body.name, token: 'kiosk-secret', services: ['q-p', ...body.services] } }
    })
    renderScreens({ 'POST /api/queues/q-p/devices': add })
    await userEvent.type(screen.getByLabelText('Device name (optional)'), 'Door')
    await userEvent.click(screen.getByRole('radio', { name: 'Chosen services' }))
    await userEvent.click(screen.getByRole('checkbox', { name: 'Passports' }))
    await userEvent.click(screen.getByRole('checkbox', { name: 'Payments' }))
    await userEvent.click(screen.getByRole('button', { name: 'Add kiosk' }))
    expect(await screen.findByRole('textbox', { name: 'Kiosk “Door”' })).toHaveValue('https://box.local/kiosk#token=kiosk-secret')
    expect(screen.getByText('Open this link on the kiosk. It is shown only this once.')).toBeInTheDocument()
    expect(JSON.parse(add.mock.calls[0][0].body)).toEqual({ name: 'Door', kind: 'kiosk', services: ['q-y'] })
  })
})
