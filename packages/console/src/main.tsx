import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import '@palisade/protocol'
import { App } from './app'
import './styles/base.css'
import './styles/layout.css'
import './styles/parts.css'

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
)
