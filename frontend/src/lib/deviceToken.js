import { urlSafeToken } from './random.js'

// One token per phone, made once: it is how the server gives a rejoining guest the ticket
// they already hold. It must match the server's ^[A-Za-z0-9_-]{16,128}$.
export const DEVICE_TOKEN_KEY = 'qode.deviceToken'
const VALID = /^[A-Za-z0-9_-]{16,128}$/

let memory = null // when localStorage is unavailable (blocked storage, old private modes)

function storage() {
  try {
    return globalThis.localStorage ?? null
  } catch {
    return null
  }
}

/** This device's token, created and saved on first use. */
export function getDeviceToken() {
  const store = storage()
  let saved
  try {
    saved = store?.getItem(DEVICE_TOKEN_KEY) ?? null
  } catch {
    saved = null
  }
  if (saved && VALID.test(saved)) return saved
  memory = memory && VALID.test(memory) ? memory : urlSafeToken(32)
  try {
    store?.setItem(DEVICE_TOKEN_KEY, memory)
  } catch {
    // Storage full or blocked: the token lives as long as the page.
  }
  return memory
}
