import { render, screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import { hostPayload } from './hostDelta.js'
import SmsStatus from './SmsStatus.jsx'

describe('SmsStatus', () => {
  it('shows nothing without a modem configured', () => {
    const { container } = render(<SmsStatus sms={{ enabled: false }} />)
    expect(container).toBeEmptyDOMElement()
  })

  it('shows the modem ready with its signal and the day figures', () => {
    render(<SmsStatus sms={{ enabled: true, state: 'ok', signal: 60, sent_today: 4, failed_today: 0, capped_today: 0 }} />)
    expect(screen.getByTestId('sms-status')).toHaveTextContent('Modem ready · signal 60 %')
    expect(screen.getByTestId('sms-status')).toHaveTextContent('Today: 4 sent, 0 failed')
  })

  it('flags a send failure with the modem error, from a host message', () => {
    const payload = hostPayload({
      type: 'update', state: { id: 'q' },
      sms: { enabled: true, state: 'error', signal: 60, sent_today: 0, failed_today: 2, capped_today: 1, last_error: 'error 500' },
    })
    render(<SmsStatus sms={payload.sms} />)
    expect(screen.getByRole('status')).toHaveTextContent('The modem could not send')
    expect(screen.getByTestId('sms-status')).toHaveTextContent('Last error: error 500')
    expect(screen.getByTestId('sms-status')).toHaveTextContent('daily limit reached): 1')
  })
})
