/**
 * A part of a setup section that stays folded until asked for (a form, a big QR code), so setup
 * stays about a screen tall on a wide screen. A native <details>: keyboard and screen readers know it.
 */
export default function Fold({ title, children, open = false }) {
  return (
    <details open={open} className="group grid gap-4 rounded-xl ring-1 ring-stone-300">
      <summary className="flex min-h-12 cursor-pointer list-none items-center gap-3 rounded-xl p-3 text-lg font-bold hover:bg-stone-50 focus-visible:outline-4 focus-visible:outline-offset-2 focus-visible:outline-blue-700 [&::-webkit-details-marker]:hidden">
        <span aria-hidden="true" className="text-base text-stone-700 transition-transform group-open:rotate-90 motion-reduce:transition-none">
          ▶
        </span>
        <span className="min-w-0 wrap-anywhere">{title}</span>
      </summary>
      <div className="grid gap-4 p-3 pt-0">{children}</div>
    </details>
  )
}
