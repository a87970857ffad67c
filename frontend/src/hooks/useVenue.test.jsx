import { act, render, screen, waitFor } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import Page from '../components/Page.jsx'
import VenueHeader from '../components/venue/VenueHeader.jsx'
import { guestTitleParts } from '../components/venue/titles.js'
import { getLanguage, setLanguage, t } from '../lib/strings.js'
import { contrast, inkOf, resetVenue, setVenue, textOn } from '../lib/venue.js'
import { routeFetch, ticket } from '../test/fixtures.js'
import { titleOf, useScreenVenue, useVenueTitle } from './useVenue.js'

const VENUE = {
  name: 'Bürgeramt Mitte',
  accent: '#ffcc00',
  accent_text: '#000000',
  accent_ink: '#7a6200',
  footer: 'Mon–Fri 8–16 · Ask at the desk',
  language: 'de',
  logo_url: '/venue/logo/abc123',
  logo_type: 'image/png',
}

let fetchMock
beforeEach(() => {
  resetVenue()
  fetchMock = vi.fn(routeFetch({ 'GET /api/venue': () => ({ body: VENUE }) }))
  vi.stubGlobal('fetch', fetchMock)
})
afterEach(() => {
  vi.unstubAllGlobals()
  setLanguage('en')
  document.documentElement.removeAttribute('style')
  document.title = ''
})

describe('useVenue and the venue components', () => {
  it('fetches the venue once for every component and shows name, logo, footer and accent', async () => {
    render(
      <Page>
        <VenueHeader />
        <p>content</p>
      </Page>,
    )
    expect(await screen.findAllByText('Bürgeramt Mitte')).toHaveLength(2)
    expect(fetchMock.mock.calls.filter(([url]) => url === '/api/venue')).toHaveLength(1)
    const logos = screen.getAllByTestId('venue-logo')
    expect(logos[0]).toHaveAttribute('src', '/venue/logo/abc123')
    expect(logos[0]).toHaveAttribute('alt', '') // the name beside it says it
    expect(screen.getByRole('contentinfo')).toHaveTextContent('Mon–Fri 8–16 · Ask at the desk')
    const style = document.documentElement.style
    expect(style.getPropertyValue('--accent')).toBe('#ffcc00')
    expect(style.getPropertyValue('--accent-text')).toBe('#000000')
    expect(style.getPropertyValue('--accent-ink')).toBe('#7a6200')
  })

  it('follows what setup saves, and shows nothing before the venue has a name or logo', async () => {
    fetchMock = vi.fn(routeFetch({ 'GET /api/venue': () => ({ body: { ...VENUE, name: null, logo_url: null, footer: null } }) }))
    vi.stubGlobal('fetch', fetchMock)
    render(<Page>content</Page>)
    await act(async () => {})
    expect(screen.queryByTestId('venue-header')).toBeNull()
    expect(screen.queryByRole('contentinfo')).toBeNull()
    act(() => setVenue({ ...VENUE, name: 'New name', accent: '#123456' }))
    expect(screen.getByText('New name')).toBeInTheDocument()
    expect(document.documentElement.style.getPropertyValue('--accent')).toBe('#123456')
  })

  it('a box that does not answer leaves the page as it was', async () => {
    vi.stubGlobal('fetch', vi.fn(() => Promise.reject(new TypeError('offline'))))
    render(<Page>still here</Page>)
    await act(async () => {})
    expect(screen.getByText('still here')).toBeInTheDocument()
    expect(screen.queryByTestId('venue-header')).toBeNull()
  })

  it('titles the guest tab "A007 · 5 ahead · venue", ahead first once nearly up, plural-aware and translated', async () => {
    const waiting = ticket({ display_number: 'A007', people_ahead: 5, nearly_up: 3 })
    function Guest({ t: value }) {
      useVenueTitle(...guestTitleParts(value))
      return null
    }
    const { rerender } = render(<Guest t={waiting} />)
    // Effects run on the next task under Preact, as in a browser: wait for each title.
    await waitFor(() => expect(document.title).toBe('A007 · 5 ahead · Bürgeramt Mitte'))
    rerender(<Guest t={{ ...waiting, people_ahead: 1 }} />)
    await waitFor(() => expect(document.title).toBe('1 ahead · A007 · Bürgeramt Mitte'))
    rerender(<Guest t={{ ...waiting, people_ahead: 0 }} />)
    await waitFor(() => expect(document.title).toBe('nobody ahead · A007 · Bürgeramt Mitte'))
    rerender(<Guest t={{ ...waiting, status: 'CALLED' }} />)
    await waitFor(() => expect(document.title).toBe('▶ Your turn · A007 · Bürgeramt Mitte'))
    setLanguage('de')
    expect(guestTitleParts({ ...waiting, people_ahead: 2 })).toEqual(['2 vor Ihnen', 'A007'])
    expect(guestTitleParts({ ...waiting, people_ahead: 4 })).toEqual(['A007', '4 vor Ihnen'])
    expect(titleOf([], null)).toBe('Qode')
  })

  it('puts the TV and the kiosk in the venue language (phones keep their own)', async () => {
    function Screen() {
      useScreenVenue('Front desk')
      return <p>{t('display.nowServing')}</p>
    }
    await import('../lib/strings.screens.js')
    render(<Screen />)
    expect(await screen.findByText('Aktuell an der Reihe')).toBeInTheDocument()
    expect(getLanguage()).toBe('de')
    expect(document.documentElement.lang).toBe('de')
    expect(document.title).toBe('Front desk · Bürgeramt Mitte')
  })
})

describe('contrast', () => {
  it('matches WCAG reference values and the box’s rules', () => {
    expect(contrast('#ffffff', '#000000')).toBeCloseTo(21)
    expect(contrast('#777777', '#ffffff')).toBeCloseTo(4.48, 2)
    expect(textOn('#ffcc00')).toBe('#000000')
    expect(textOn('#1e40af')).toBe('#ffffff')
    expect(inkOf('#1e40af')).toBe('#1e40af')
    const ink = inkOf('#ffcc00')
    expect(contrast(ink, '#fafaf9')).toBeGreaterThanOrEqual(4.5)
  })
})
