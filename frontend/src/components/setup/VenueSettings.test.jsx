import { act, render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { screensApi } from '../../lib/screensApi.js'
import { getVenue, resetVenue } from '../../lib/venue.js'
import { routeFetch } from '../../test/fixtures.js'
import VenueSettings from './VenueSettings.jsx'

const VENUE = {
  name: 'Old name',
  accent: '#1e40af',
  accent_text: '#ffffff',
  accent_ink: '#1e40af',
  footer: null,
  language: null,
  logo_url: '/venue/logo/v1',
  logo_type: 'image/png',
}

let fetchMock
function renderSettings(routes = {}) {
  fetchMock = vi.fn(routeFetch({ 'GET /api/venue': () => ({ body: VENUE }), ...routes }))
  vi.stubGlobal('fetch', fetchMock)
  return render(<VenueSettings api={screensApi('admin-token-0123456789abcdef')} onRejected={() => false} />)
}

beforeEach(() => resetVenue())
afterEach(() => vi.unstubAllGlobals())

describe('VenueSettings', () => {
  it('saves name, colour, footer and language, showing the contrast live', async () => {
    const patch = vi.fn((init) => ({ body: { ...VENUE, ...JSON.parse(init.body), accent_text: '#000000' } }))
    renderSettings({ 'PATCH /api/venue': patch })
    const name = await screen.findByLabelText('Venue name')
    expect(name).toHaveValue('Old name')
    expect(screen.getByText(/Text on this colour is white: contrast 8\.7:1/)).toBeInTheDocument()

    const colour = screen.getByLabelText('Accent colour')
    // A colour input is set, not typed into.
    await act(async () => {
      Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(colour, '#ffcc00')
      colour.dispatchEvent(new Event('input', { bubbles: true }))
    })
    expect(screen.getByText(/Text on this colour is black/)).toBeInTheDocument()
    expect(screen.getByText(/darkened to #/)).toBeInTheDocument()
    expect(screen.getByTestId('venue-sample')).toHaveStyle({ color: '#000000' })

    await userEvent.clear(name)
    await userEvent.type(name, 'Bürgeramt Mitte')
    await userEvent.type(screen.getByLabelText('Footer line'), 'Ask at the desk')
    await userEvent.selectOptions(screen.getByLabelText('Language of the TV, kiosk and tickets'), 'de')
    await userEvent.click(screen.getByRole('button', { name: 'Save venue' }))
    expect(patch).toHaveBeenCalledTimes(1)
    expect(JSON.parse(patch.mock.calls[0][0].body)).toEqual({
      name: 'Bürgeramt Mitte',
      footer: 'Ask at the desk',
      accent: '#ffcc00',
      language: 'de',
    })
    expect(await screen.findByText(/^Saved\./)).toBeInTheDocument()
    expect(getVenue().name).toBe('Bürgeramt Mitte')
  }, 20000) // typing is slow on a busy machine

  it('does not send an empty name', async () => {
    const patch = vi.fn(() => ({ body: VENUE }))
    renderSettings({ 'PATCH /api/venue': patch })
    await userEvent.clear(await screen.findByLabelText('Venue name'))
    await userEvent.click(screen.getByRole('button', { name: 'Save venue' }))
    expect(screen.getByText('Enter the venue’s name.')).toBeInTheDocument()
    expect(patch).not.toHaveBeenCalled()
  })

  it('uploads a logo as the raw file, and shows a refusal in words with the old logo kept', async () => {
    const put = vi.fn(() => ({ status: 422, body: { error: { code: 'unsafe_svg', message: 'The SVG logo was refused: it contains <script>.' } } }))
    renderSettings({ 'PUT /api/venue/logo': put })
    expect(await screen.findByAltText('The venue’s current logo')).toHaveAttribute('src', '/venue/logo/v1')
    const file = new File(['<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>'], 'logo.svg', { type: 'image/svg+xml' })
    await userEvent.upload(screen.getByLabelText('Upload a logo'), file)
    expect(await screen.findByRole('alert')).toHaveTextContent('The SVG logo was refused: it contains <script>.')
    const [, init] = fetchMock.mock.calls.find(([, i]) => i?.method === 'PUT')
    expect(init.body).toBe(file)
    expect(init.headers['Content-Type']).toBe('image/svg+xml')
    expect(screen.getByAltText('The venue’s current logo')).toHaveAttribute('src', '/venue/logo/v1')

    put.mockImplementation(() => ({ body: { ...VENUE, logo_url: '/venue/logo/v2' } }))
    await userEvent.upload(screen.getByLabelText('Upload a logo'), new File(['png'], 'logo.png', { type: 'image/png' }))
    expect(await screen.findByText('Logo saved.')).toBeInTheDocument()
    expect(screen.getByAltText('The venue’s current logo')).toHaveAttribute('src', '/venue/logo/v2')
  })

  it('removes the logo', async () => {
    const del = vi.fn(() => ({ body: { ...VENUE, logo_url: null } }))
    renderSettings({ 'DELETE /api/venue/logo': del })
    await userEvent.click(await screen.findByRole('button', { name: 'Remove the logo' }))
    expect(await screen.findByText('Logo removed.')).toBeInTheDocument()
    expect(screen.getByText('No logo yet.')).toBeInTheDocument()
  })
})
