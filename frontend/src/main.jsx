import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import App from './App.jsx'
import { getLanguage, t } from './lib/strings.js'
import './index.css'

document.documentElement.lang = getLanguage()
document.title = t('app.name')

createRoot(document.getElementById('root')).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
