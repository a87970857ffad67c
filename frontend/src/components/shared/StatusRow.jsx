// Shapes as well as colours: the words say it too, the icon only helps the eye.
const ICON = { ok: '✓', warning: '!', problem: '⚠\uFE0E' }
const ICON_LOOK = {
  ok: 'bg-emerald-100 text-emerald-900',
  warning: 'bg-amber-200 text-stone-950',
  problem: 'bg-red-800 text-white',
}
const LOOK = {
  warning: 'bg-amber-50 ring-2 ring-amber-600 text-stone-950',
  problem: 'bg-red-50 ring-2 ring-red-800 text-red-950',
}

/**
 * How something is, at a glance: an icon in a circle beside the words (`children`). `tone` is
 * "ok", "warning" or "problem"; `okLook` is the page's look for a row that is fine. Further
 * props (data-testid, …) go on the row, an `as` element (a div unless told).
 */
export default function StatusRow({ as: Tag = 'div', tone, okLook, children, ...props }) {
  return (
    <Tag {...props} className={`flex items-start gap-3 rounded-xl p-3 ${tone === 'ok' ? okLook : LOOK[tone]}`}>
      <span aria-hidden="true" className={`inline-flex size-8 shrink-0 items-center justify-center rounded-full text-lg font-black ${ICON_LOOK[tone]}`}>
        {ICON[tone]}
      </span>
      <div className="grid min-w-0 gap-0.5">{children}</div>
    </Tag>
  )
}
