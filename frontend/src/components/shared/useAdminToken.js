import { useCallback, useState } from 'react'
import { forgetToken, saveToken } from '../../lib/screensApi.js'
import { useFragmentToken } from '../screens/useFragmentToken.js'

// A token refused only for coming over plain http (403 https_required) is kept: it is right, the address is not.
const isAuthError = (err) => (err?.status === 401 || err?.status === 403) && err?.code !== 'https_required'

/**
 * An admin page's token, stored under `key` (taken from `#token=…` first). Returns
 * {token, bad, rejected, apply, forget}: `rejected(err)` forgets the token when the server
 * refused it (and says true then), `apply(value)` stores one typed into the form, `forget()`
 * drops it; `bad` says the last token was refused.
 */
export function useAdminToken(key) {
  const [token, setToken] = useFragmentToken(key)
  const [bad, setBad] = useState(false)

  // A new token (pasted link or form): its verdict is still to come (set while rendering,
  // React's pattern for state that follows a value).
  const [seenToken, setSeenToken] = useState(token)
  if (seenToken !== token) {
    setSeenToken(token)
    if (token) setBad(false)
  }

  const rejected = useCallback(
    (err) => {
      if (!isAuthError(err)) return false
      forgetToken(key)
      setBad(true)
      setToken(null)
      return true
    },
    [key, setToken],
  )

  const apply = useCallback(
    (value) => {
      saveToken(key, value)
      setBad(false)
      setToken(value)
    },
    [key, setToken],
  )

  const forget = useCallback(() => {
    forgetToken(key)
    setBad(false)
    setToken(null)
  }, [key, setToken])

  return { token, bad, rejected, apply, forget }
}
