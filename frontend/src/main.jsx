import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import App from './App.jsx'
import { hasFirstState, readFirstVenue } from './lib/firstState.js'
import { getDirection, getLanguage, t } from './lib/strings.js'
import { setVenue } from './lib/venue.js'
import './index.css'

document.documentElement.lang = getLanguage()
document.documentElement.dir = getDirection()
// A ticket's page comes titled by the box ("A007 · 3 ahead · …"); the guest page titles it after.
if (!hasFirstState()) document.title = t('app.name')
// …and brings the venue's look, so the page does not ask for it again.
setVenue(readFirstVenue())

const root = document.getElementById('root')
// The box's own markup of the ticket (its number, before any script) gives way to the app, in
// the same task, so no frame shows an empty page.
root.replaceChildren()
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
