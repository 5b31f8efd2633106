// Starts the page. A file, not an inline script: the agent's Content Security
// Policy allows only the page's own scripts. The import is dynamic so that a
// missing or broken build (web/pkg not built) shows a message, not a blank page.
try {
  const { default: init } = await import('./pkg/mailport_frontend.js');
  await init({ module_or_path: new URL('./pkg/mailport_frontend_bg.wasm', import.meta.url) });
  document.getElementById('boot')?.remove();
  // For the load benchmark (tests/browser/page.rs, measure_page_load).
  performance.mark('mailport-interactive');
} catch (e) {
  document.getElementById('boot-status')?.remove();
  const p = document.createElement('p');
  p.className = 'error';
  p.setAttribute('role', 'alert');
  p.textContent = 'The page could not start (' + e + '). Try a current browser, or run "mailport check" in a terminal.';
  document.body.append(p);
}
