/** A labelled text input with its hint below and, when `error` is set, the problem in red. */
export default function Field({ id, label, hint, error, ...props }) {
  return (
    <div className="grid gap-1">
      <label htmlFor={id} className="text-lg font-semibold">
        {label}
      </label>
      <input
        id={id}
        aria-describedby={`${id}-hint${error ? ` ${id}-error` : ''}`}
        aria-invalid={error ? true : undefined}
        className="min-h-12 w-full min-w-0 rounded-lg border-2 border-stone-500 bg-white px-3 text-lg aria-[invalid=true]:border-red-800"
        {...props}
      />
      <p id={`${id}-hint`} className="text-base text-stone-700">
        {hint}
      </p>
      {error ? (
        <p id={`${id}-error`} className="text-base font-semibold text-red-800">
          {error}
        </p>
      ) : null}
    </div>
  )
}
