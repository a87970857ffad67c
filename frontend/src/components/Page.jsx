import VenueFooter from './venue/VenueFooter.jsx'
import VenueHeader from './venue/VenueHeader.jsx'

/** The frame every phone page shares: one readable column, comfortable at 360 px, with the
 * venue's name and logo above it and its footer line at the bottom of the screen. */
export default function Page({ children, banner = null }) {
  return (
    <div className="flex min-h-dvh flex-col bg-stone-50 text-stone-900">
      {banner}
      <VenueHeader />
      <main className="mx-auto flex w-full max-w-md flex-col gap-6 px-4 py-6">{children}</main>
      <VenueFooter />
    </div>
  )
}
