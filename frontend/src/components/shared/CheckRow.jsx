/** A checkbox or radio button whose whole row is its label, so the row (at least 48 px tall)
 *  is the tap target, not only the 24 px box and the words. Where the row leaves its words less
 *  than 8em (a phone at 200 % text, inside nested cards), they go below the box, at the row's
 *  full width, instead of breaking every few letters. Other props go to the <input>. */
export function CheckRow({ type = 'checkbox', className = '', children, ...input }) {
  return (
    <label className={`flex min-h-12 cursor-pointer flex-wrap items-center gap-x-3 gap-y-1 text-lg ${className}`}>
      <input type={type} className="size-6 shrink-0 accent-blue-800" {...input} />
      <span className="min-w-0 flex-[1_1_8em]">{children}</span>
    </label>
  )
}

/** Radio buttons in a fieldset: `options` is [[value, label], …]. */
export function Choice({ name, legend, value, onChange, options }) {
  return (
    <fieldset className="grid gap-1">
      <legend className="text-lg font-semibold">{legend}</legend>
      {options.map(([option, label]) => (
        <CheckRow key={option} type="radio" id={`${name}-${option}`} name={name} checked={value === option} onChange={() => onChange(option)}>
          {label}
        </CheckRow>
      ))}
    </fieldset>
  )
}
