/** The web console's entry: the styles, then the app into #app. */
import 'uplot/dist/uPlot.min.css'
import './style.css'
import { render } from 'preact'
import { App } from './app.js'

render(<App />, document.getElementById('app')!)
