import { useEffect, useState } from 'react'
import { fragmentToken, takeFragmentToken } from '../../lib/screensApi.js'

/**
 * The token stored under `key`, taken from `#token=…` first (which then leaves the address).
 * A link pasted into the same tab changes only the fragment, without a reload: that new
 * token is taken too. Returns [token, setToken].
 */
export function useFragmentToken(key) {
  const [token, setToken] = useState(() => takeFragmentToken(key))
  useEffect(() => {
    const onHashChange = () => {
      if (fragmentToken(globalThis.location?.hash)) setToken(takeFragmentToken(key))
    }
    globalThis.addEventListener?.('hashchange', onHashChange)
    return () => globalThis.removeEventListener?.('hashchange', onHashChange)
  }, [key])
  return [token, setToken]
}
