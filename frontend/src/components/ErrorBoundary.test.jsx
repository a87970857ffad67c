import { render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import ErrorBoundary from './ErrorBoundary.jsx'

function Broken() {
  throw new Error('a chunk failed to load')
}

afterEach(() => {
  vi.useRealTimers()
  vi.restoreAllMocks()
})

describe('ErrorBoundary', () => {
  it('shows a message instead of a blank page, and reloads once the box answers', async () => {
    vi.useFakeTimers()
    vi.spyOn(console, 'error').mockImplementation(() => {})
    const reload = vi.fn()
    const fetchImpl = vi
      .fn()
      .mockRejectedValueOnce(new TypeError('Failed to fetch')) // still down
      .mockResolvedValueOnce({ ok: true }) // back
    render(
      <ErrorBoundary every={1000} fetchImpl={fetchImpl} reload={reload}>
        <Broken />
      </ErrorBoundary>,
    )
    expect(screen.getByRole('alert')).toHaveTextContent('This page could not be shown')
    expect(screen.getByRole('button', { name: 'Try again now' })).toBeInTheDocument()
    await vi.advanceTimersByTimeAsync(1000)
    expect(fetchImpl).toHaveBeenCalledTimes(1)
    expect(reload).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1000)
    expect(fetchImpl).toHaveBeenCalledTimes(2)
    expect(reload).toHaveBeenCalledTimes(1)
  })

  it('renders its children when nothing fails', () => {
    render(
      <ErrorBoundary>
        <p>fine</p>
      </ErrorBoundary>,
    )
    expect(screen.getByText('fine')).toBeInTheDocument()
  })
})
