"""Opt-in offline reading (`offline = true`): a service worker that precaches the whole
site, versioned by a hash of everything it caches, and the tiny script that registers it.

This worker is the only script the site ever ships, and only when asked for.
"""

from __future__ import annotations

import hashlib
import json

from .config import SiteConfig
from .output import Output, data_of
from .render import fingerprint

SKIP = {"_headers", "sw.js"}

WORKER = """\
// sitegen offline worker: precaches the site, serves it when the network is gone.
const VERSION = %(version)s;
const CACHE = "sitegen-" + VERSION;
const PRECACHE = %(urls)s;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("sitegen-") && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  if (new URL(request.url).pathname.startsWith(%(assets)s)) {
    // Fingerprinted: the name changes with the content, so the cache is always right.
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
    return;
  }
  // Pages: the network first (they revalidate), the cache when offline.
  event.respondWith(
    fetch(request)
      .then((response) => {
        const copy = response.clone();
        if (response.ok) caches.open(CACHE).then((cache) => cache.put(request, copy));
        return response;
      })
      .catch(() => caches.match(request).then((hit) => hit || caches.match(%(offline_page)s)))
  );
});
"""

REGISTER = """\
if ("serviceWorker" in navigator) navigator.serviceWorker.register(%(url)s, { scope: %(scope)s });
"""


def _page_url(base: str, path: str) -> str:
    return base + (path[: -len("index.html")] if path.endswith("index.html") else path)


def offline_files(files: Output, config: SiteConfig) -> dict[str, bytes]:
    """sw.js and assets/sw-register.<hash>.js; pages get the registration script inserted."""
    base = config.base_path
    precached = sorted(p for p in files if p not in SKIP)
    digest = hashlib.sha256()
    for path in precached:
        digest.update(path.encode() + b"\0" + hashlib.sha256(data_of(files[path])).digest())
    version = digest.hexdigest()[:16]
    worker = WORKER % {
        "version": json.dumps(version),
        "urls": json.dumps([_page_url(base, p) for p in precached], ensure_ascii=False, indent=2),
        "assets": json.dumps(base + "assets/"),
        "offline_page": json.dumps(base + "404.html"),
    }
    register = (REGISTER % {"url": json.dumps(base + "sw.js"), "scope": json.dumps(base)}).encode()
    register_path = "assets/" + fingerprint("sw-register.js", register)
    out: dict[str, bytes] = {"sw.js": worker.encode(), register_path: register}
    tag = f'<script src="{base}{register_path}" defer></script>\n</head>'.encode()
    for path, data in files.items():
        if path.endswith(".html"):
            out[path] = data_of(data).replace(b"</head>", tag, 1)
    return out
