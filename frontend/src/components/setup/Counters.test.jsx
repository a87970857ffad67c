import { render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { screensApi } from '../../lib/screensApi.js'
import { routeFetch } from '../../test/fixtures.js'
import Counters from './Counters.jsx'

const SERVICES = [
  { id: 'q-r', name: 'Reception' },
  { id: 'q-p', name: 'Passports' },
  { id: 'q-y', name: 'Payments' },
]
const counter = (overrides = {}) => ({
  id: 'c-2',
  name: '2',
  rule: 'order',
  is_open: false,
  staff: null,
  back_in_seconds: null,
  services: [
    { queue_id: 'q-p', name: 'Passports', prefix: 'P', weight: 1 },
    { queue_id: 'q-y', name: 'Payments', prefix: 'Y', weight: 1 },
  ],
  created_at: '2026-12-06T08:00:00Z',
  updated_at: '2026-12-06T08:00:00Z',
  ...overrides,
})

let fetchMock
function renderCounters(routes) {
  fetchMock = vi.fn(routeFetch(routes))
  vi.stubGlobal('fetch', fetchMock)
  return render(<Counters api={screensApi('admin-token-0123456789abcdef')} services={SERVICES} onRejected={() => false} />)
}
const sent = (method, path) =>
  fetchMock.mock.calls.filter(([url, init]) => String(url).endsWith(path) && init?.method === method).map(([, init]) => JSON.parse(init.body))

afterEach(() => vi.unstubAllGlobals())

describe('Counters', () => {
  it('lists each counter with its services in order, its rule and whether it is open', async () => {
    renderCounters({
      'GET /api/counters': () => ({
        body: {
          counters: [
            counter(),
            counter({
              id: 'c-1',
              name: 'Front',
              is_open: true,
              rule: 'weighted',
              services: [{ queue_id: 'q-r', name: 'Reception', prefix: 'R', weight: 2 }],
            }),
          ],
        },
      }),
    })
    expect(await screen.findByText('2 · Closed')).toBeInTheDocument()
    expect(screen.getByText('1. Passports · 2. Payments')).toBeInTheDocument()
    expect(screen.getByText('In order: the first service with someone waiting')).toBeInTheDocument()
    expect(screen.getByText('Front · Open')).toBeInTheDocument()
    expect(screen.getByText('1. Reception ×2')).toBeInTheDocument()
    expect(screen.getByText('Longest wait: the wait times the service’s weight')).toBeInTheDocument()
  })

  it('adds a counter with services in the order they were ticked and weights for the weighted rule', async () => {
    const create = vi.fn((init) => {
      const body = JSON.parse(init.body)
      return {
        status: 201,
        body: counter({
          id: 'c-9',
          name: body.name,
          rule: body.rule,
          services: body.services.map((s) => ({ ...s, name: SERVICES.find((x) => x.id === s.queue_id).name, prefix: '' })),
        }),
      }
    })
    renderCounters({ 'GET /api/counters': () => ({ body: { counters: [] } }), 'POST /api/counters': create })
    expect(await screen.findByText('No counter yet.')).toBeInTheDocument()
    await userEvent.click(screen.getByRole('button', { name: 'Add counter' }))
    const form = screen.getByRole('form', { name: 'New counter' })
    // Nothing ticked, no name: told, nothing sent.
    await userEvent.click(within(form).getByRole('button', { name: 'Create counter' }))
    expect(within(form).getByText('Give the counter a name.')).toBeInTheDocument()
    expect(within(form).getByText('Tick at least one service.')).toBeInTheDocument()
    expect(create).not.toHaveBeenCalled()

    await userEvent.type(within(form).getByLabelText('Counter name'), 'Window B')
    await userEvent.click(within(form).getByRole('checkbox', { name: 'Payments' }))
    await userEvent.click(within(form).getByRole('checkbox', { name: /^Passports/ }))
    expect(within(form).getByRole('checkbox', { name: 'Payments #1' })).toBeChecked()
    expect(within(form).getByRole('checkbox', { name: 'Passports #2' })).toBeChecked()
    await userEvent.click(within(form).getByRole('radio', { name: 'Longest wait: the wait times the service’s weight' }))
    const weight = within(form).getByRole('textbox', { name: 'Passports' })
    await userEvent.clear(weight)
    await userEvent.type(weight, '0')
    await userEvent.click(within(form).getByRole('button', { name: 'Create counter' }))
    expect(within(form).getByText('Each weight must be a number above 0 and at most 100.')).toBeInTheDocument()
    await userEvent.clear(weight)
    await userEvent.type(weight, '2,5')
    await userEvent.click(within(form).getByRole('button', { name: 'Create counter' }))

    expect(await screen.findByText('Counter “Window B” saved.')).toBeInTheDocument()
    expect(sent('POST', '/api/counters')).toEqual([
      {
        name: 'Window B',
        rule: 'weighted',
        services: [
          { queue_id: 'q-y', weight: 1 },
          { queue_id: 'q-p', weight: 2.5 },
        ],
      },
    ])
    expect(screen.getByText('Window B · Closed')).toBeInTheDocument()
    expect(screen.getByText('1. Payments ×1 · 2. Passports ×2.5')).toBeInTheDocument()
  })

  it('offers at most eight services', async () => {
    const many = Array.from({ length: 9 }, (_, i) => ({ id: `q-${i}`, name: `Service ${i}` }))
    fetchMock = vi.fn(routeFetch({ 'GET /api/counters': () => ({ body: { counters: [] } }) }))
    vi.stubGlobal('fetch', fetchMock)
    render(<Counters api={screensApi('admin-token-0123456789abcdef')} services={many} onRejected={() => false} />)
    await userEvent.click(await screen.findByRole('button', { name: 'Add counter' }))
    for (let i = 0; i < 8; i += 1) await userEvent.click(screen.getByRole('checkbox', { name: `Service ${i}` }))
    expect(screen.getByRole('checkbox', { name: 'Service 8' })).toBeDisabled()
    await userEvent.click(screen.getByRole('checkbox', { name: 'Service 0 #1' }))
    expect(screen.getByRole('checkbox', { name: 'Service 8' })).toBeEnabled()
  })

  it('changes a counter’s services and rule, and says in words why an open counter keeps its name', async () => {
    const patch = vi.fn((init) => {
      const body = JSON.parse(init.body)
      if (body.name) return { status: 409, body: { error: { code: 'counter_open', message: 'counter is open' } } }
      return { body: counter({ is_open: true, services: [{ queue_id: 'q-y', name: 'Payments', prefix: 'Y', weight: 1 }] }) }
    })
    renderCounters({ 'GET /api/counters': () => ({ body: { counters: [counter({ is_open: true })] } }), 'PATCH /api/counters/c-2': patch })
    await userEvent.click(await screen.findByRole('button', { name: 'Edit 2' }))
    const form = screen.getByRole('form', { name: 'Edit counter 2' })
    expect(within(form).getByText('It can be renamed only while it is closed.')).toBeInTheDocument()
    const name = within(form).getByLabelText('Counter name')
    await userEvent.clear(name)
    await userEvent.type(name, '3')
    await userEvent.click(within(form).getByRole('button', { name: 'Save counter' }))
    expect(await within(form).findByRole('alert')).toHaveTextContent('This counter is open: rename it only once it is closed.')

    await userEvent.clear(name)
    await userEvent.type(name, '2')
    await userEvent.click(within(form).getByRole('checkbox', { name: 'Passports #1' }))
    await userEvent.click(within(form).getByRole('button', { name: 'Save counter' }))
    expect(await screen.findByText('Counter “2” saved.')).toBeInTheDocument()
    expect(sent('PATCH', '/api/counters/c-2')).toEqual([
      { name: '3', rule: 'order', services: [{ queue_id: 'q-p', weight: 1 }, { queue_id: 'q-y', weight: 1 }] },
      { rule: 'order', services: [{ queue_id: 'q-y', weight: 1 }] }, // no name: it did not change
    ])
    expect(screen.getByText('1. Payments')).toBeInTheDocument()
  })
})
