import { forwardRef } from 'react'

const KINDS = {
  // The venue's accent (--accent, set from GET /api/venue; blue until set), with its readable text colour.
  primary: 'bg-(--accent) text-(--accent-text) hover:brightness-90 active:brightness-75 disabled:bg-stone-400 disabled:text-white',
  secondary: 'border-2 border-stone-700 bg-white text-stone-900 hover:bg-stone-100 disabled:text-stone-500',
  danger: 'bg-red-800 text-white hover:bg-red-900 active:bg-red-950 disabled:bg-stone-400',
}

/** A button at least 48 px tall with a visible focus ring; `ref` reaches the <button> (to move focus). */
const Button = forwardRef(function Button({ kind = 'primary', big = false, className = '', type = 'button', ...props }, ref) {
  const size = big ? 'min-h-16 px-6 text-2xl' : 'min-h-12 px-5 text-lg'
  return (
    <button
      ref={ref}
      type={type}
      className={`inline-flex w-full items-center justify-center rounded-xl font-semibold focus-visible:outline-4 focus-visible:outline-offset-2 focus-visible:outline-blue-700 disabled:cursor-not-allowed ${size} ${KINDS[kind]} ${className}`}
      {...props}
    />
  )
})

export default Button
