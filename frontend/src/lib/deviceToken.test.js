import { describe, expect, it } from 'vitest'
import { DEVICE_TOKEN_KEY, getDeviceToken } from './deviceToken.js'

describe('getDeviceToken', () => {
  it('makes a 32-character url-safe token once and keeps it', () => {
    const token = getDeviceToken()
    expect(token).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect(localStorage.getItem(DEVICE_TOKEN_KEY)).toBe(token)
    expect(getDeviceToken()).toBe(token)
  })

  it('replaces a stored value the server would refuse', () => {
    localStorage.setItem(DEVICE_TOKEN_KEY, 'short')
    const token = getDeviceToken()
    expect(token).toMatch(/^[A-Za-z0-9_-]{16,128}$/)
    expect(localStorage.getItem(DEVICE_TOKEN_KEY)).toBe(token)
  })
})
