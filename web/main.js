// Starts the page. A file, not an inline script: the agent's Content Security
// Policy allows only the page's own scripts. The import is dynamic so that a
// missing or broken build (web/pkg not built) shows a message, not a blank page.

// The page is built with panic=immediate-abort (scripts/build-web.sh): a bug
// in it traps, and the page stops answering. Say so instead of freezing.
function crashed(e) {
  const err = e.error ?? e.reason;
  if (!(err instanceof WebAssembly.RuntimeError) || document.getElementById('crashed')) return;
  const p = document.createElement('p');
  p.id = 'crashed';
  p.className = 'error';
  p.setAttribute('role', 'alert');
  p.textContent = 'The page hit an internal error (' + err.message + ') and stopped. Reload it to start again; "mailport check" in a terminal gives the same answer.';
  document.body.prepend(p);
}
window.addEventListener('error', crashed);
window.addEventListener('unhandledrejection', crashed);

// The relay panel and the share-link maker are modules of their own, loaded
// when the page first needs them (frontend/src/lazy.rs): most visits never
// open the relay panel, only a check needs the share links, and either
// would make every visit's download larger.
const modules = new Map();
const tries = new Map();
window.mailportLoad = (name) => {
  if (name !== 'relay' && name !== 'share') return Promise.reject(new Error('no module ' + name));
  if (!modules.has(name)) {
    // A browser remembers a failed import for the page's life: a retry asks
    // for the module under a new address.
    const n = (tries.get(name) ?? 0) + 1;
    tries.set(name, n);
    const url = './pkg/mailport_' + name + '.js' + (n > 1 ? '?try=' + n : '');
    modules.set(name, import(url).then(async (m) => {
      await m.default({ module_or_path: new URL('./pkg/mailport_' + name + '_bg.wasm', import.meta.url) });
      return m;
    }).catch((e) => {
      modules.delete(name); // the next call tries again
      throw e;
    }));
  }
  return modules.get(name);
};

// An address that carries a shared result (#r=…, first among the
// fragment's parameters or after any `&`, as Fragment::parse reads them:
// frontend/src/state/fragment.rs, whose test keeps the two in step) starts
// the viewer: that result and nothing of the
// checker. Every other address starts the checker, which holds no link
// reader (frontend/src/viewer.rs). Either reloads the page when a pasted
// address needs the other.
const app = /(?:^#|&)r=/.test(location.hash) ? 'mailport_viewer' : 'mailport_frontend';

try {
  const { default: init } = await import('./pkg/' + app + '.js');
  await init({ module_or_path: new URL('./pkg/' + app + '_bg.wasm', import.meta.url) });
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
