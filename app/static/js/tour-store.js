/* « Tournée »: what the page keeps on the device, in IndexedDB « rekonekt-tour » — the tour and its
 * download, the unit's invoice series, the outbox of actions recorded offline (each with its
 * idempotency key and order), the documents issued (to print them again) and the marks shown on
 * screen. Nothing personal goes anywhere else: the service worker never caches an API answer.
 * An action and the state it changes are written in one transaction: a crash leaves both or
 * neither. Invoices are numbered under a Web Lock, so two tabs never take the same number. */
var RkTour = window.RkTour || (window.RkTour = {});
(function (T) {
  "use strict";
  var NAME = "rekonekt-tour", VERSION = 1, FORMAT = 1;
  var STORES = ["meta", "outbox", "documents", "marks"];
  var opening = null;

  function open() {
    if (opening) { return opening; }
    opening = new Promise(function (resolve, reject) {
      var request = indexedDB.open(NAME, VERSION);
      request.onupgradeneeded = function () {
        var db = request.result;
        if (!db.objectStoreNames.contains("meta")) { db.createObjectStore("meta"); }
        if (!db.objectStoreNames.contains("outbox")) { db.createObjectStore("outbox", { keyPath: "seq" }); }
        if (!db.objectStoreNames.contains("documents")) { db.createObjectStore("documents", { keyPath: "number" }); }
        if (!db.objectStoreNames.contains("marks")) { db.createObjectStore("marks", { keyPath: "id" }); }
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
    return opening;
  }

  // Run fn(stores, result) in one transaction; resolves with result.value once it has committed.
  function txn(names, mode, fn) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(names, mode), stores = {}, result = {};
        names.forEach(function (n) { stores[n] = tx.objectStore(n); });
        tx.oncomplete = function () { resolve(result.value); };
        tx.onerror = function () { reject(tx.error); };
        tx.onabort = function () { reject(tx.error || new Error("aborted")); };
        fn(stores, result, tx);
      });
    });
  }

  function get(store, key) {
    return txn([store], "readonly", function (s, r) { s[store].get(key).onsuccess = function (e) { r.value = e.target.result; }; });
  }
  function all(store) {
    return txn([store], "readonly", function (s, r) { s[store].getAll().onsuccess = function (e) { r.value = e.target.result; }; });
  }
  function put(store, value, key) {
    return txn([store], "readwrite", function (s) { if (key === undefined) { s[store].put(value); } else { s[store].put(value, key); } });
  }

  function uuid() { return crypto.randomUUID(); }

  function deviceKey() {
    return get("meta", "device_key").then(function (key) {
      if (key) { return key; }
      key = uuid();
      return put("meta", key, "device_key").then(function () { return key; });
    });
  }

  // Keep a downloaded tour: its snapshot, the account that downloaded it, the unit's series as the
  // server gave it, an empty outbox. Resolves false, writing nothing, while a tour is already kept
  // (downloaded in another tab): its records not yet sent would be wiped.
  function keepTour(tour, snapshot, userId) {
    return txn(STORES, "readwrite", function (s, r) {
      s.meta.get("tour").onsuccess = function (e) {
        if (e.target.result) { r.value = false; return; }
        s.outbox.clear(); s.documents.clear(); s.marks.clear();
        s.meta.put({ format: FORMAT, tour: tour, snapshot: snapshot, user_id: userId }, "tour");
        s.meta.put(0, "seq");
        var series = snapshot.series;
        s.meta.put(series ? { prefix: series.prefix, next_numbers: series.next_numbers, position: series.next_position,
                              previous_hash: series.previous_hash } : null, "series");
        r.value = true;
      };
    });
  }

  // Forget the tour (every record settled, or the tour handed back): the device key stays.
  function forgetTour() {
    return txn(STORES, "readwrite", function (s) {
      s.outbox.clear(); s.documents.clear(); s.marks.clear();
      ["tour", "seq", "series"].forEach(function (k) { s.meta.delete(k); });
    });
  }

  function newRecord(seq, kind, data, recordedAt) {
    return { format: FORMAT, key: uuid(), seq: seq, kind: kind, recorded_at: T.format.martiniqueIso(recordedAt),
             data: data, state: "pending", message: null, what_to_do: null, result: null };
  }

  // Record an action (and the marks it shows) in one transaction; resolves with the record.
  function record(kind, data, marks, recordedAt) {
    return txn(["meta", "outbox", "marks"], "readwrite", function (s, r) {
      s.meta.get("seq").onsuccess = function (e) {
        var seq = (e.target.result || 0) + 1;
        r.value = newRecord(seq, kind, data, recordedAt);
        s.meta.put(seq, "seq");
        s.outbox.add(r.value);
        (marks || []).forEach(function (m) { s.marks.put(Object.assign({ seq: seq }, m)); });
      };
    });
  }

  function locked(name, fn) {
    if (navigator.locks && navigator.locks.request) { return navigator.locks.request(name, fn); }
    return fn();
  }

  // Number, hash and record a handover's invoice. The hash is computed outside the transaction
  // (an IndexedDB transaction ends across an await); the transaction then checks the series did
  // not move meanwhile and writes the new series, the action, the document and the mark of the
  // reservation (markId) together. A reservation already marked (a second click, another tab)
  // is never invoiced twice: resolves {already: mark}, writing nothing.
  function issue(invoice, makeAction, makeDocument, recordedAt, markId) {
    return locked("rk-tour-series", function () {
      function attempt(left) {
        return get("meta", "series").then(function (series) {
          var numbered = T.chain.number(series, invoice, recordedAt);
          return T.chain.chainHash(numbered.content, numbered.previousHash).then(function (hash) {
            return txn(["meta", "outbox", "documents", "marks"], "readwrite", function (s, r, tx) {
              s.marks.get(markId).onsuccess = function (m) {
                if (m.target.result) { r.value = { already: m.target.result }; return; }
                s.meta.get("series").onsuccess = function (e) {
                  if (e.target.result.position !== series.position) { r.value = null; return; }
                  s.meta.get("seq").onsuccess = function (f) {
                    var seq = (f.target.result || 0) + 1;
                    var action = newRecord(seq, "handover", makeAction(numbered, hash), recordedAt);
                    var next = Object.assign({}, numbered.next, { previous_hash: hash });
                    s.meta.put(next, "series");
                    s.meta.put(seq, "seq");
                    s.outbox.add(action);
                    s.documents.put(makeDocument(numbered, hash, seq));
                    s.marks.put({ id: markId, number: numbered.content.number, seq: seq });
                    r.value = { action: action, number: numbered.content.number, hash: hash };
                  };
                };
              };
            });
          }).then(function (done) {
            if (done || left <= 0) { return done; }
            return attempt(left - 1);
          });
        });
      }
      return attempt(5);
    });
  }

  function update(seq, changes) {
    return txn(["outbox"], "readwrite", function (s) {
      s.outbox.get(seq).onsuccess = function (e) {
        if (e.target.result) { s.outbox.put(Object.assign(e.target.result, changes)); }
      };
    });
  }

  T.store = { open: open, get: get, all: all, put: put, deviceKey: deviceKey, keepTour: keepTour,
              forgetTour: forgetTour, record: record, issue: issue, update: update };
})(RkTour);
