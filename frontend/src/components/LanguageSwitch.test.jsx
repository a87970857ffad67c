import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import App from '../App.jsx'
import { joinScope, resetPageLanguage, storedLanguage, ticketScope } from '../lib/guestLanguage.js'
import { setLanguage } from '../lib/strings.js'
import { FakeWebSocket } from '../test/fakeWebSocket.js'
import { queue, routeFetch, ticket } from '../test/fixtures.js'

function open(path, routes) {
  vi.stubGlobal('fetch', vi.fn(routeFetch(routes)))
  window.history.replaceState(null, '', path)
  return render(<App />)
}

const TICKETS = {
  'GET /api/tickets/t-1': () => ({ body: ticket() }),
  'GET /api/tickets/t-2': () => ({ body: ticket({ id: 't-2', display_number: 'A13', people_ahead: 4 }) }),
}
const languageMenu = () => screen.getByRole('combobox', { name: /Language|Langue|Idioma|Dil|Sprache/ })

beforeEach(() => {
  FakeWebSocket.reset()
  vi.stubGlobal('WebSocket', FakeWebSocket)
})
afterEach(() => {
  vi.unstubAllGlobals()
  window.history.replaceState(null, '', '/')
  resetPageLanguage()
  setLanguage('en')
})

describe('the guest’s language switch', () => {
  it('offers every language named in itself, labelled, and switches the page, <html lang> and dir', async () => {
    open('/t/t-1', TICKETS)
    expect(await screen.findByText('3 people ahead of you')).toBeInTheDocument()
    const menu = languageMenu()
    expect(menu).toHaveAccessibleName('Language')
    const names = [...menu.querySelectorAll('option')].map((option) => option.textContent)
    expect(names).toEqual(expect.arrayContaining(['English', 'Deutsch', 'Français', 'Español', 'Türkçe']))
    expect(menu.querySelector('option[value="fr"]')).toHaveAttribute('lang', 'fr')

    await userEvent.selectOptions(menu, 'fr')
    expect(screen.getByText('3 personnes avant vous')).toBeInTheDocument()
    expect(screen.getByRole('heading', { name: 'Votre ticket' })).toBeInTheDocument()
    expect(screen.getByRole('button', { name: 'Quitter la file' })).toBeInTheDocument()
    expect(languageMenu()).toHaveAccessibleName('Langue')
    expect(document.documentElement.lang).toBe('fr')
    expect(document.documentElement.dir).toBe('ltr')
    expect(storedLanguage(ticketScope('t-1'))).toBe('fr')
  })

  it('is the first stop for the keyboard (the arrow keys are the browser’s own: see the e2e test)', async () => {
    open('/t/t-1', TICKETS)
    await screen.findByText('3 people ahead of you')
    await userEvent.tab()
    expect(languageMenu()).toHaveFocus()
    await userEvent.tab()
    // issue 16: "Turn on sound" comes after the first tap or key press, before "Leave the line"
    expect(screen.getByRole('button', { name: 'Turn on sound' })).toHaveFocus()
    await userEvent.tab()
    expect(screen.getByRole('button', { name: 'Leave the line' })).toHaveFocus()
  })

  it('sticks for that ticket on reload, and not for another ticket', async () => {
    const first = open('/t/t-1', TICKETS)
    await screen.findByText('3 people ahead of you')
    await userEvent.selectOptions(languageMenu(), 'es')
    expect(screen.getByText('3 personas delante de usted')).toBeInTheDocument()
    first.unmount()

    const again = open('/t/t-1', TICKETS) // the reload
    expect(await screen.findByText('3 personas delante de usted')).toBeInTheDocument()
    expect(languageMenu()).toHaveValue('es')
    again.unmount()

    open('/t/t-2', TICKETS) // another ticket on the same phone
    expect(await screen.findByText('4 people ahead of you')).toBeInTheDocument()
    expect(languageMenu()).toHaveValue('en')
    expect(document.documentElement.lang).toBe('en')
  })

  it('on the join page sticks until a ticket is taken, then goes with the ticket', async () => {
    const routes = {
      'GET /api/queues/q-1': () => ({ body: queue({ waiting_count: 0 }) }),
      'POST /api/queues/q-1/tickets': () => ({ status: 201, body: ticket() }),
      ...TICKETS,
    }
    const first = open('/join/q-1', routes)
    expect(await screen.findByText('Nobody is waiting')).toBeInTheDocument()
    await userEvent.selectOptions(languageMenu(), 'tr')
    expect(screen.getByText('Bekleyen kimse yok')).toBeInTheDocument()
    first.unmount()

    open('/join/q-1', routes) // reload of the join page
    await userEvent.click(await screen.findByRole('button', { name: 'Sıra numarası al' }))
    expect(await screen.findByRole('heading', { name: 'Sıra numaranız' })).toBeInTheDocument()
    expect(window.location.pathname).toBe('/t/t-1')
    expect(storedLanguage(ticketScope('t-1'))).toBe('tr')
    expect(storedLanguage(joinScope('q-1'))).toBeNull()
  })

  it('says "Niemand wartet" for an empty line, never "0 Personen warten"', async () => {
    setLanguage('de') // the phone's own language
    open('/join/q-1', { 'GET /api/queues/q-1': () => ({ body: queue({ waiting_count: 0 }) }) })
    expect(await screen.findByText('Niemand wartet')).toBeInTheDocument()
    expect(screen.queryByText(/0 Personen/)).not.toBeInTheDocument()
    expect(languageMenu()).toHaveValue('de')
  })
})
