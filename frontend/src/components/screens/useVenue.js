// The venue's look on the kiosk (issue 14): brand's shared venue (hooks/useVenue.js: name, logo,
// colours, default language, set in setup) and the tab's title. The kiosk takes the venue's
// language as its default and lets each guest choose another (KioskView's useGuestLanguage), so it
// does not use useScreenVenue, which would set the page's language itself.
import { useVenue as useSharedVenue, useVenueTitle } from '../../hooks/useVenue.js'

const REFRESH_MS = 5 * 60 * 1000 // the kiosk runs for days: setup's changes reach it

/**
 * The venue as the kiosk shows it: `{name, logo, language}`. `name` is the venue's, else the
 * line's; `logo` an image URL or null; `language` the venue's default, or null for the browser's.
 */
export function useVenue(queue) {
  const venue = useSharedVenue({ refreshMs: REFRESH_MS })
  useVenueTitle(queue?.name)
  return {
    name: venue?.name || queue?.name || '',
    logo: venue?.logo_url ?? null,
    language: venue?.language ?? null,
  }
}
