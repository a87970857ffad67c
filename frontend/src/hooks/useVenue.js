import { useEffect, useLayoutEffect, useState, useSyncExternalStore } from 'react'
import { getVenue, loadVenue, subscribeVenue } from '../lib/venue.js'
import { getDirection, getLanguage, setLanguage } from '../lib/strings.js'

/**
 * The venue's look (lib/venue.js): fetched once per page load, shared, and updated when setup
 * saves. `refreshMs` asks the box again now and then (the TV and the kiosk run for days).
 */
export function useVenue({ refreshMs = 0 } = {}) {
  const venue = useSyncExternalStore(subscribeVenue, getVenue, getVenue)
  useEffect(() => {
    loadVenue()
    if (!refreshMs) return undefined
    const timer = setInterval(() => loadVenue({ force: true }), refreshMs)
    return () => clearInterval(timer)
  }, [refreshMs])
  return venue
}

/** "part · part · venue" as the tab's title (empty parts left out; "Qode" when there is nothing). */
export function titleOf(parts, venueName) {
  const all = [...parts, venueName].filter((p) => typeof p === 'string' && p.trim())
  return all.length ? all.join(' · ') : 'Qode'
}

/** Keep the tab's title at `parts` followed by the venue's name. */
export function useVenueTitle(...parts) {
  const venue = useVenue()
  const title = titleOf(parts, venue?.name)
  useEffect(() => {
    document.title = title
  }, [title])
}

/**
 * The TV and the kiosk speak the venue's default language (set in setup), not the browser's;
 * the page re-renders once it is known. A guest's phone keeps its own language.
 */
export function useVenueLanguage() {
  const venue = useVenue({ refreshMs: 5 * 60 * 1000 })
  const wanted = venue?.language ?? null
  const [applied, setApplied] = useState(null)
  if (wanted && wanted !== applied) {
    setLanguage(wanted)
    setApplied(wanted) // React's pattern for state that follows a value: re-renders in the new language
  }
  useLayoutEffect(() => {
    // with the re-render's commit: the page's lang and dir never lag its words
    if (!applied) return
    document.documentElement.lang = getLanguage()
    document.documentElement.dir = getDirection()
  }, [applied])
  return venue
}

/** The TV's and the touch kiosk's use of the venue: its language, and the tab's title. */
export function useScreenVenue(...parts) {
  const venue = useVenueLanguage()
  useVenueTitle(...parts)
  return venue
}
