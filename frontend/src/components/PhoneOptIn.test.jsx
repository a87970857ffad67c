import { fireEvent, render, screen, waitFor } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from '../lib/api.js'
import { setLanguage } from '../lib/strings.js'
import PhoneOptIn from './PhoneOptIn.jsx'

afterEach(() => setLanguage('en'))

describe('PhoneOptIn', () => {
  it('says what the number is for, sends it and shows it back masked', async () => {
    const api = { putPhone: vi.fn(async () => ({ available: true, phone: '•••• 0123' })), deletePhone: vi.fn() }
    render(<PhoneOptIn ticketId="t1" initial={{ available: true, phone: null }} api={api} />)
    expect(screen.getByText(/deleted when your ticket ends/)).toBeInTheDocument()
    const input = screen.getByLabelText('Mobile number')
    expect(input).toHaveAttribute('type', 'tel')
    fireEvent.input(input, { target: { value: ' +44 7700 900123 ' } })
    fireEvent.click(screen.getByRole('button', { name: 'Text me' }))
    await waitFor(() => expect(screen.getByTestId('phone-saved')).toHaveTextContent('•••• 0123'))
    expect(api.putPhone).toHaveBeenCalledWith('t1', '+44 7700 900123')
    expect(screen.queryByLabelText('Mobile number')).toBeNull()
  })

  it('explains a refused number in the guest language and keeps the field', async () => {
    setLanguage('de')
    const api = {
      putPhone: vi.fn(async () => {
        throw new ApiError(422, 'invalid_phone', 'phone: a number has 6 to 15 digits.')
      }),
      deletePhone: vi.fn(),
    }
    render(<PhoneOptIn ticketId="t1" initial={{ available: true, phone: null }} api={api} />)
    fireEvent.input(screen.getByLabelText('Handynummer'), { target: { value: '123' } })
    fireEvent.click(screen.getByRole('button', { name: 'SMS schicken' }))
    expect(await screen.findByRole('alert')).toHaveTextContent('6 bis 15 Ziffern')
    expect(screen.getByLabelText('Handynummer')).toHaveAttribute('aria-invalid', 'true')
  })

  it('removes a number left earlier', async () => {
    const api = { putPhone: vi.fn(), deletePhone: vi.fn(async () => ({ available: true, phone: null })) }
    render(<PhoneOptIn ticketId="t1" initial={{ available: true, phone: '•••• 4567' }} api={api} />)
    fireEvent.click(screen.getByRole('button', { name: 'Remove my number' }))
    expect(await screen.findByLabelText('Mobile number')).toBeInTheDocument()
    expect(api.deletePhone).toHaveBeenCalledWith('t1')
  })
})
