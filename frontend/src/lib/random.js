// Random ids for Idempotency-Keys and device tokens.
//
// crypto.randomUUID exists only in secure contexts (https or localhost), and the box is
// usually reached over plain http on the LAN; crypto.getRandomValues works everywhere.

export function randomBytes(count) {
  const bytes = new Uint8Array(count)
  const crypto = globalThis.crypto
  if (crypto?.getRandomValues) {
    crypto.getRandomValues(bytes)
  } else {
    // Very old browsers only; these values are never secrets the server relies on alone.
    for (let i = 0; i < count; i++) bytes[i] = Math.floor(Math.random() * 256)
  }
  return bytes
}

/** A version 4 UUID: crypto.randomUUID when available, else built from random bytes. */
export function uuid() {
  const crypto = globalThis.crypto
  if (typeof crypto?.randomUUID === 'function') {
    try {
      return crypto.randomUUID()
    } catch {
      // Some browsers define it but throw outside secure contexts; build one below.
    }
  }
  const b = randomBytes(16)
  b[6] = (b[6] & 0x0f) | 0x40
  b[8] = (b[8] & 0x3f) | 0x80
  const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

const URL_SAFE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/** `length` characters of A-Z a-z 0-9 - _ (6 random bits each). */
export function urlSafeToken(length = 32) {
  const bytes = randomBytes(length)
  let out = ''
  for (let i = 0; i < length; i++) out += URL_SAFE[bytes[i] & 63]
  return out
}
