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
/** The settings of a venue set up before: shown as one line until "Change" opens the form. */
async function renderSettings(routes = {}, venue = VENUE) {
  fetchMock = vi.fn(routeFetch({ 'GET /api/venue': () => ({ body: venue }), ...routes }))
  vi.stubGlobal('fetch', fetchMock)
  const rendered = render(<VenueSettings api={screensApi('admin-token-0123456789abcdef')} onRejected={() => false} />)
  if (venue.name) await userEvent.click(await screen.findByRole('button', { name: 'Change' }))
  return rendered
}

beforeEach(() => resetVenue())
afterEach(() => vi.unstubAllGlobals())

describe('VenueSettings', () => {
  it('shows a venue set up before as one line, and a new one as the form', async () => {
    fetchMock = vi.fn(routeFetch({ 'GET /api/venue': () => ({ body: VENUE }) }))
    vi.stubGlobal('fetch', fetchMock)
    const { unmount } = render(<VenueSettings api={screensApi('admin-token-0123456789abcdef')} onRejected={() => false} />)
    const change = await screen.findByRole('button', { name: 'Change' })
    expect(change).toHaveAttribute('aria-expanded', 'false')
    expect(screen.getByText('Old name')).toBeInTheDocument()
    expect(screen.queryByLabelText('Venue name')).toBeNull()
    unmount()
    resetVenue()
    await renderSettings({}, { ...VENUE, name: null })
    expect(await screen.findByLabelText('Venue name')).toHaveValue('')
    expect(screen.queryByRole('button', { name: 'Change' })).toBeNull()
  })

  it('saves name, colour, footer and language, showing the contrast live', async () => {
    const patch = vi.fn((init) => ({ body: { ...VENUE, ...JSON.parse(init.body), accent_text: '#000000' } }))
    await renderSettings({ 'PATCH /api/venue': patch })
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
    await renderSettings({ 'PATCH /api/venue': patch })
    await userEvent.clear(await screen.findByLabelText('Venue name'))
    await userEvent.click(screen.getByRole('button', { name: 'Save venue' }))
    expect(screen.getByText('Enter the venue’s name.')).toBeInTheDocument()
    expect(patch).not.toHaveBeenCalled()
  })

  it('uploads a logo as the raw file, and shows a refusal in words with the old logo kept', async () => {
    const put = vi.fn(() => ({ status: 422, body: { error: { code: 'unsafe_svg', message: 'The SVG logo was refused: it contains <script>.' } } }))
    await renderSettings({ 'PUT /api/venue/logo': put })
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
    await renderSettings({ 'DELETE /api/venue/logo': del })
    await userEvent.click(await screen.findByRole('button', { name: 'Remove the logo' }))
    expect(await screen.findByText('Logo removed.')).toBeInTheDocument()
    expect(screen.getByText('No logo yet.')).toBeInTheDocument()
  })
})
