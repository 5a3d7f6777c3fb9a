/* « Tournée » service worker, served at /tour/sw.js (scope /tour/) with CACHE and PRECACHE set by
 * the server (app/views/tour.py): the cache is named after the files it keeps.
 *
 * - The shell /tour/: network first (3 s), its fresh copy kept; offline, on a timeout or a failure,
 *   the kept copy. A redirection (to the sign-in page) passes through and is never kept.
 * - The page's own static files: from the cache first.
 * - Everything else — the API, documents, other pages — is never intercepted nor kept: personal
 *   data live only in the page's IndexedDB. */
/* global CACHE, PRECACHE */
"use strict";
var SHELL = PRECACHE[0];
var STATIC = PRECACHE.slice(1);
var NETWORK_WAIT_MS = 3000;

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) {
    return cache.addAll(PRECACHE.map(function (url) { return new Request(url, { credentials: "same-origin", redirect: "manual" }); }));
  }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n.indexOf("rk-tour-") === 0 && n !== CACHE; })
      .map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

function shell(request) {
  return caches.open(CACHE).then(function (cache) {
    var kept = function () { return cache.match(SHELL).then(function (r) { return r || Response.error(); }); };
    if (!self.navigator.onLine) { return kept(); }
    var network = fetch(request).then(function (response) {
      if (response.ok && !response.redirected && response.type === "basic") {
        cache.put(SHELL, response.clone());
      }
      return response;
    });
    var timeout = new Promise(function (resolve) { setTimeout(resolve, NETWORK_WAIT_MS, null); });
    return Promise.race([network, timeout]).then(function (response) {
      return response || kept();
    }).catch(kept);
  });
}

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate" && url.pathname === SHELL) {
    event.respondWith(shell(request));
    return;
  }
  if (STATIC.indexOf(url.pathname) >= 0) {
    event.respondWith(caches.match(url.pathname).then(function (hit) { return hit || fetch(request); }));
  }
});
