// Starts the page. A file, not an inline script: the agent's Content Security
// Policy allows only the page's own scripts.
import init from './pkg/mailport_frontend.js';

try {
  await init({ module_or_path: new URL('./pkg/mailport_frontend_bg.wasm', import.meta.url) });
} catch (e) {
  const p = document.createElement('p');
  p.className = 'error';
  p.setAttribute('role', 'alert');
  p.textContent = 'This browser could not start the page (' + e + '). Try a current browser, or run "mailport check" in a terminal.';
  document.body.append(p);
}
