import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import App from './App.jsx'
import { getDirection, getLanguage, t } from './lib/strings.js'
import './index.css'

document.documentElement.lang = getLanguage()
document.documentElement.dir = getDirection()
document.title = t('app.name')

createRoot(document.getElementById('root')).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
