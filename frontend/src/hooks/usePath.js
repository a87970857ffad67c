import { useSyncExternalStore } from 'react'

function subscribe(onChange) {
  window.addEventListener('popstate', onChange)
  return () => window.removeEventListener('popstate', onChange)
}

/** The current location.pathname, re-rendering on back/forward and navigate(). */
export function usePath() {
  return useSyncExternalStore(subscribe, () => window.location.pathname)
}
