import { fireEvent, render, screen, waitFor } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ApiError } from '../../lib/api.js'
import { setLanguage } from '../../lib/strings.js'
import KioskPhone from './KioskPhone.jsx'

afterEach(() => setLanguage('en'))

function typeOn(keys) {
  for (const key of keys) fireEvent.click(screen.getByRole('button', { name: key }))
}

describe('KioskPhone', () => {
  it('takes the number from its keypad, a + only in front, and shows it back masked', async () => {
    const send = vi.fn(async () => ({ available: true, phone: '•••• 0123' }))
    const onClose = vi.fn()
    render(<KioskPhone ticketId="t1" onClose={onClose} send={send} />)
    expect(screen.getByRole('dialog')).toHaveTextContent('deleted when your ticket ends')
    typeOn(['+', '4', '+', '4', '7', '7', '0', '0', '9', '0', '0', '1', '2', '3', '9'])
    fireEvent.click(screen.getByRole('button', { name: 'Delete the last digit' }))
    expect(screen.getByTestId('kiosk-phone-digits')).toHaveTextContent('+447700900123')
    fireEvent.click(screen.getByRole('button', { name: 'Text me' }))
    await waitFor(() => expect(screen.getByTestId('kiosk-phone-saved')).toHaveTextContent('•••• 0123'))
    expect(send).toHaveBeenCalledWith('t1', '+447700900123')
    fireEvent.click(screen.getByRole('button', { name: 'Done' }))
    expect(onClose).toHaveBeenCalled()
  })

  it('says why a number is refused, in the kiosk language', async () => {
    setLanguage('fr')
    const send = vi.fn(async () => {
      throw new ApiError(422, 'invalid_phone', 'phone: a number has 6 to 15 digits.')
    })
    render(<KioskPhone ticketId="t1" onClose={() => {}} send={send} />)
    typeOn(['1', '2', '3'])
    fireEvent.click(screen.getByRole('button', { name: "M'envoyer un SMS" }))
    expect(await screen.findByRole('alert')).toHaveTextContent('6 à 15 chiffres')
  })
})
