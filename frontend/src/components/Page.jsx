/** The frame every phone page shares: one readable column, comfortable at 360 px. */
export default function Page({ children, banner = null }) {
  return (
    <div className="min-h-dvh bg-stone-50 text-stone-900">
      {banner}
      <main className="mx-auto flex w-full max-w-md flex-col gap-6 px-4 py-6">{children}</main>
    </div>
  )
}
