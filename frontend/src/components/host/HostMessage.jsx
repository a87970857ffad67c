import Page from '../Page.jsx'

/** A whole-page message (no token, a token that is not valid, no such line): never a blank screen. */
export default function HostMessage({ title, body, children = null }) {
  return (
    <Page>
      <div role="alert" className="grid gap-4">
        <h1 className="text-3xl font-bold">{title}</h1>
        <p className="text-xl">{body}</p>
      </div>
      {children}
    </Page>
  )
}
