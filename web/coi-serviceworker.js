// Cross-origin isolation on hosts that cannot send headers (e.g. GitHub Pages).
// Threads in WebAssembly need SharedArrayBuffer, which browsers only give to pages served with
// Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp.
// tools/serve.mjs sends them; a static host usually cannot. This file then plays two parts:
//  - loaded by the page (a classic <script> before app.js): if the page is not isolated,
//    it registers itself as a service worker and reloads the page once that worker controls it;
//  - as the service worker: it passes every request of the page through and adds the two
//    headers to the responses, so the reloaded page (and its workers) are isolated.
// If that does not work (no service workers, e.g. a private window or a plain-http host, or the
// browser refuses), the page stays as it is and uses its single-threaded build; one reload at
// most per tab session, so it never loops.
/* eslint-env browser, serviceworker */
'use strict';

if (typeof window === 'undefined') {
  // ---- the service worker ----
  self.addEventListener('install', () => self.skipWaiting());
  self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

  self.addEventListener('fetch', (event) => {
    const req = event.request;
    // Chromium throws on these (a devtools request): leave them to the network.
    if (req.cache === 'only-if-cached' && req.mode !== 'same-origin') return;
    event.respondWith((async () => {
      const res = await fetch(req);
      if (res.status === 0 || res.type === 'opaque' || res.type === 'opaqueredirect') return res; // nothing to add to
      const headers = new Headers(res.headers);
      headers.set('Cross-Origin-Opener-Policy', 'same-origin');
      headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
      if (!headers.has('Cross-Origin-Resource-Policy')) headers.set('Cross-Origin-Resource-Policy', 'same-origin');
      return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
    })());
  });
} else {
  // ---- the page ----
  (() => {
    const KEY = 'normlab-coi-reloaded';
    let reloaded = false;
    try {
      reloaded = sessionStorage.getItem(KEY) === '1';
      if (window.crossOriginIsolated) sessionStorage.removeItem(KEY); // worked: allow it again later
    } catch {
      // storage blocked: reloading could loop, so do nothing
      return;
    }
    const sw = navigator.serviceWorker;
    if (window.crossOriginIsolated || !window.isSecureContext || !sw) return;
    const reloadOnce = () => {
      if (reloaded) return;
      reloaded = true;
      sessionStorage.setItem(KEY, '1');
      window.location.reload();
    };
    const failed = (why) => {
      document.documentElement.dataset.coi = 'failed';
      console.warn(`normlab: no service worker for cross-origin isolation (${why}); single-threaded build`);
    };
    document.documentElement.dataset.coi = 'registering';
    sw.register(document.currentScript.src).then((reg) => {
      if (!reg) return failed('service workers are blocked'); // e.g. an automated browser that blocks them
      document.documentElement.dataset.coi = 'registered';
      if (sw.controller) {
        reloadOnce(); // controlled yet not isolated: e.g. opened with a hard reload, which skips the worker
      } else if (reg.active) {
        reloadOnce(); // active already (another tab installed it): a reload puts this page under it
      } else {
        sw.addEventListener('controllerchange', reloadOnce); // clients.claim() of the new worker
      }
      return undefined;
    }, (err) => failed(err && err.message));
  })();
}
