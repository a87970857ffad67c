import Button from '../Button.jsx'

/**
 * An admin page's form in a card: the heading (`title`, id `titleId`), `intro` (anything
 * between the heading and the form), the fields (`children`), the failure as an alert and
 * the submit button, which says `submitText` and is disabled while `busy`.
 */
export default function FormCard({ titleId, title, intro = null, failure, busy, submitText, onSubmit, children }) {
  return (
    <section aria-labelledby={titleId} className="grid gap-4 rounded-2xl bg-white p-5 shadow-sm ring-1 ring-stone-300">
      <h2 id={titleId} className="text-2xl font-bold">
        {title}
      </h2>
      {intro}
      <form className="grid gap-4" noValidate onSubmit={onSubmit}>
        {children}
        {failure ? (
          <p role="alert" className="text-lg font-semibold text-red-800">
            {failure}
          </p>
        ) : null}
        <Button type="submit" disabled={busy}>
          {submitText}
        </Button>
      </form>
    </section>
  )
}
