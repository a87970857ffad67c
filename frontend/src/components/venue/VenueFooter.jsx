import { useVenue } from '../../hooks/useVenue.js'

/**
 * The venue's footer line (opening hours, "Ask at the desk"), at the foot of a phone page:
 * `mt-auto` in a full-height column puts it at the bottom of the screen, where the join page
 * was empty. With `logo`, the logo shows above it a little larger.
 */
export default function VenueFooter({ logo = false }) {
  const venue = useVenue()
  if (!venue?.footer && !(logo && venue?.logo_url)) return null
  return (
    <footer data-testid="venue-footer" className="mt-auto grid justify-items-center gap-3 border-t border-stone-300 bg-white px-4 py-5 text-center">
      {logo && venue.logo_url ? <img src={venue.logo_url} alt="" className="h-20 w-auto max-w-[60%] object-contain" /> : null}
      {venue.footer ? <p className="max-w-md text-lg text-stone-800 wrap-anywhere">{venue.footer}</p> : null}
    </footer>
  )
}
