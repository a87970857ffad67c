import { render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { screensApi } from '../../lib/screensApi.js'
import { routeFetch } from '../../test/fixtures.js'
import StaffLinks from './StaffLinks.jsx'

const SERVICES = [
  { id: 'q-p', name: 'Passports' },
  { id: 'q-y', name: 'Payments' },
]
const TOKEN = { id: 't-1', name: 'Desk 2 tablet', role: 'staff', scope: 'services', services: ['q-p', 'q-y'], created_at: 'x', revoked_at: null }

let fetchMock
function renderLinks(routes) {
  fetchMock = vi.fn(routeFetch({ 'POST /api/qr': () => ({ body: { svg: '<svg xmlns="http://www.w3.org/2000/svg"/>' } }), ...routes }))
  vi.stubGlobal('fetch', fetchMock)
  return render(<StaffLinks api={screensApi('admin-token-0123456789abcdef')} services={SERVICES} onRejected={() => false} />)
}
const sent = (method, path) =>
  fetchMock.mock.calls.filter(([url, init]) => String(url).endsWith(path) && init?.method === method).map(([, init]) => init.body && JSON.parse(init.body))

afterEach(() => vi.unstubAllGlobals())

describe('StaffLinks', () => {
  it('makes a link for chosen services and shows it once with its QR and the warning', async () => {
    const create = vi.fn((init) => ({
      status: 201,
      body: { ...TOKEN, ...JSON.parse(init.body), id: 't-9', token: 'secret-abc', host_url: 'https://box.local/host#token=secret-abc' },
    }))
    renderLinks({ 'GET /api/host-tokens': () => ({ body: { tokens: [] } }), 'POST /api/host-tokens': create })
    expect(await screen.findByText('No staff link yet.')).toBeInTheDocument()
    const form = screen.getByRole('form', { name: 'Make staff link' })
    await userEvent.click(within(form).getByRole('button', { name: 'Make staff link' }))
    expect(within(form).getByText('Give the link a name.')).toBeInTheDocument()
    expect(within(form).getByText('Tick at least one service.')).toBeInTheDocument()
    expect(create).not.toHaveBeenCalled()

    await userEvent.type(within(form).getByLabelText('Link name'), 'Desk 2 tablet')
    await userEvent.click(within(form).getByRole('checkbox', { name: 'Passports' }))
    await userEvent.click(within(form).getByRole('checkbox', { name: 'Payments' }))
    await userEvent.click(within(form).getByRole('button', { name: 'Make staff link' }))

    const link = await screen.findByRole('textbox', { name: 'Staff link: Desk 2 tablet' })
    expect(link).toHaveValue('https://box.local/host#token=secret-abc')
    expect(screen.getByText('Save this link now: it is shown only this once.')).toBeInTheDocument()
    expect(await screen.findByRole('img', { name: 'QR code of the staff link for Desk 2 tablet' })).toHaveAttribute(
      'src',
      expect.stringMatching(/^data:image\/svg\+xml/),
    )
    expect(sent('POST', '/api/host-tokens')).toEqual([{ name: 'Desk 2 tablet', role: 'staff', scope: 'services', services: ['q-p', 'q-y'] }])
    // Listed without its token.
    expect(screen.getByText(/Passports, Payments/)).toBeInTheDocument()
  })

  it('makes a manager link for the whole box', async () => {
    const create = vi.fn((init) => ({
      status: 201,
      body: { ...TOKEN, ...JSON.parse(init.body), services: [], id: 't-8', token: 's', host_url: 'https://box.local/host#token=s' },
    }))
    renderLinks({ 'GET /api/host-tokens': () => ({ body: { tokens: [] } }), 'POST /api/host-tokens': create })
    const form = await screen.findByRole('form', { name: 'Make staff link' })
    await userEvent.type(within(form).getByLabelText('Link name'), 'Manager')
    await userEvent.click(within(form).getByRole('radio', { name: 'Manager: also changes settings and devices' }))
    await userEvent.click(within(form).getByRole('radio', { name: 'The whole box' }))
    expect(within(form).queryByRole('checkbox')).toBeNull()
    await userEvent.click(within(form).getByRole('button', { name: 'Make staff link' }))
    expect(await screen.findByRole('textbox', { name: 'Staff link: Manager' })).toBeInTheDocument()
    expect(sent('POST', '/api/host-tokens')).toEqual([{ name: 'Manager', role: 'manager', scope: 'box' }])
  })

  it('lists the links in use (revoked ones left out) and revokes one', async () => {
    const revoke = vi.fn(() => ({ body: { ...TOKEN, revoked_at: '2026-12-06T10:00:00Z' } }))
    renderLinks({
      'GET /api/host-tokens': () => ({
        body: { tokens: [TOKEN, { ...TOKEN, id: 't-0', name: 'Old tablet', revoked_at: '2026-12-01T10:00:00Z' }] },
      }),
      'DELETE /api/host-tokens/t-1': revoke,
    })
    const row = (await screen.findByRole('button', { name: 'Revoke Desk 2 tablet' })).closest('li')
    expect(row).toHaveTextContent('Desk 2 tablet · Staff · Passports, Payments')
    expect(screen.queryByText('Old tablet')).toBeNull()
    await userEvent.click(screen.getByRole('button', { name: 'Revoke Desk 2 tablet' }))
    expect(screen.getByText('“Desk 2 tablet” stops working at once, on every device that uses it.')).toBeInTheDocument()
    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }))
    expect(revoke).not.toHaveBeenCalled()
    await userEvent.click(screen.getByRole('button', { name: 'Revoke Desk 2 tablet' }))
    await userEvent.click(screen.getByRole('button', { name: 'Yes, revoke Desk 2 tablet' }))
    expect(await screen.findByText('No staff link yet.')).toBeInTheDocument()
    expect(revoke).toHaveBeenCalledTimes(1)
  })
})
