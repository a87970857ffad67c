// What the touch kiosk's pages share (/kiosk/{queue_id} and, issue 15, /kiosk of several
// services): the frame of the start screen and a full-screen notice.
import VenueHeader from '../venue/VenueHeader.jsx'

export function KioskFrame({ children, banner = null, wide = false, compact = false }) {
  return (
    <div className="flex min-h-dvh flex-col bg-stone-50 text-stone-900 select-none">
      {banner}
      <VenueHeader />
      <main className={`mx-auto flex w-full ${wide ? 'max-w-6xl' : 'max-w-4xl'} flex-1 flex-col items-center justify-center gap-6 px-4 text-center ${compact ? 'py-4 sm:gap-5' : 'py-6 sm:gap-10'}`}>
        {children}
      </main>
    </div>
  )
}

export function KioskNotice({ title, body }) {
  return (
    <section role="alert" className="grid gap-4">
      <h1 className="text-4xl font-black sm:text-6xl">{title}</h1>
      <p className="text-xl sm:text-3xl">{body}</p>
    </section>
  )
}
