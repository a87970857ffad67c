import { useVenue } from '../../hooks/useVenue.js'
import { t } from '../../lib/strings.js'

const TONES = {
  // Phones, the join page and the touch kiosk: a white band under an accent-coloured rule.
  light: 'border-b-4 border-(--accent) bg-white text-stone-900',
  // The TV (a dark room screen): white text; the logo sits on a white tile so a dark logo shows.
  dark: 'bg-transparent text-white',
}

/**
 * The venue's logo and name (set in setup), at the top of a page; nothing until the venue has
 * either. `size` "screen" scales with the TV's height.
 */
export default function VenueHeader({ tone = 'light', size = 'phone' }) {
  const venue = useVenue()
  if (!venue || (!venue.name && !venue.logo_url)) return null
  const screen = size === 'screen'
  return (
    <header
      data-testid="venue-header"
      className={`flex items-center justify-center gap-3 px-4 ${screen ? 'py-[1vh]' : 'py-2'} ${TONES[tone] ?? TONES.light}`}
    >
      {venue.logo_url ? (
        <img
          src={venue.logo_url}
          // The name beside it says it all; a logo alone is named for screen readers.
          alt={venue.name ? '' : t('venue.logoAlt')}
          data-testid="venue-logo"
          className={`${screen ? 'h-[6vh] rounded-[1vh] bg-white p-[0.5vh]' : 'h-10'} w-auto max-w-[40%] object-contain`}
        />
      ) : null}
      {venue.name ? (
        <p data-testid="venue-name" dir="auto" className={`min-w-0 font-bold wrap-anywhere ${screen ? 'truncate text-[4vh]' : 'text-xl'}`}>
          {venue.name}
        </p>
      ) : null}
    </header>
  )
}
