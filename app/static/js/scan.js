/* Rekonekt scan station. A keyboard-wedge scanner types the code then Enter; every scan is
 * sent to POST /api/v1/scan and answered without reloading the page. The code field keeps the
 * focus. Single keys on an empty field are shortcuts (1–9: next state; A/B/C: grade), told
 * apart from a scanner's burst of characters by a short wait.
 * The « Inventaire » mode (stocktake) sends each scan to POST /api/v1/stocktakes/scan instead, one
 * after the other in the order typed (a scanner's burst is queued, never cut), shows the location
 * being counted with its figures, and after a spare part (SP-…) asks how many there are. */
(function () {
  "use strict";
  var root = document.getElementById("scan-app");
  if (!root) { return; }
  var config = JSON.parse(document.getElementById("scan-config").textContent);
  var T = config.text;
  var input = document.getElementById("scan-code");
  var form = document.getElementById("scan-form");
  var stationSelect = document.getElementById("scan-station");
  var banner = document.getElementById("scan-banner");
  var card = document.getElementById("scan-card");
  var putawayBox = document.getElementById("scan-putaway");
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var SHORTCUT_WAIT_MS = 150;   // a scanner types much faster than this between two keys
  var current = null;           // the device shown on the card
  var pendingKey = null, pendingTimer = null, confirmKey = null;
  var TERMINAL = { parts: true, recycled: true };
  // « Inventaire » mode.
  var countBox = document.getElementById("scan-count");
  var countPlace = document.getElementById("scan-count-place");
  var countFigures = document.getElementById("scan-count-figures");
  var quantityBox = document.getElementById("scan-quantity-box");
  var quantityInput = document.getElementById("scan-quantity");
  var quantityLabel = document.getElementById("scan-quantity-label");
  var queue = [], counting = false, asking = null;   // scans waiting, one in flight, the part asked about

  function url(name, tag) { return root.dataset[name].replace("__TAG__", encodeURIComponent(tag)); }

  // --- sound -------------------------------------------------------------------------------
  var audio = null;
  function beep(ok) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.type = ok ? "sine" : "square";
      osc.frequency.value = ok ? 1200 : 220;
      gain.gain.value = 0.15;
      osc.connect(gain); gain.connect(audio.destination);
      osc.start(); osc.stop(audio.currentTime + (ok ? 0.08 : 0.45));
    } catch (e) { /* no sound device: the banner still says it */ }
  }

  function tone(type, frequency, start, length) {
    var osc = audio.createOscillator(), gain = audio.createGain();
    osc.type = type;
    osc.frequency.value = frequency;
    gain.gain.value = 0.15;
    osc.connect(gain); gain.connect(audio.destination);
    osc.start(audio.currentTime + start); osc.stop(audio.currentTime + start + length);
  }

  // A warning (a device found here but recorded elsewhere): two short middle tones.
  function warn() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      tone("triangle", 660, 0, 0.12);
      tone("triangle", 660, 0.18, 0.12);
    } catch (e) { /* no sound device: the banner still says it */ }
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { node.textContent = attrs[k]; }
      else if (k.indexOf("on") === 0) { node.addEventListener(k.slice(2), attrs[k]); }
      else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { if (c) { node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); } });
    return node;
  }

  function say(level, message) {
    banner.className = "rk-banner " + level;
    banner.textContent = message;
    if (level === "error") { beep(false); } else if (level === "ok") { beep(true); } else if (level === "warning") { warn(); }
  }

  function refocus() { input.value = ""; input.focus(); }

  function request(method, address, body) {
    return fetch(address, {
      method: method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
      body: body ? JSON.stringify(body) : undefined
    }).then(function (response) {
      return response.json().catch(function () { return { message: response.statusText }; })
        .then(function (data) { data._status = response.status; return data; });
    });
  }

  // --- rendering ---------------------------------------------------------------------------
  function showPutaway(location) {
    if (location) {
      putawayBox.hidden = false;
      putawayBox.textContent = T.putaway + " " + location.code + " — " + location.name;
    } else { putawayBox.hidden = true; putawayBox.textContent = ""; }
  }

  function renderDevice(device, allowed, events) {
    current = { device: device, allowed: allowed || [], pendingMedium: null };
    card.innerHTML = "";
    var title = el("h2", {}, [device.asset_tag + " — " + device.brand + " " + device.model]);
    var facts = el("dl", {}, [
      el("dt", { text: T.category }), el("dd", { text: device.category_label }),
      el("dt", { text: T.serial }), el("dd", { text: device.serial_number || "—" }),
      el("dt", { text: T.state }), el("dd", {}, [el("span", { "class": "rk-state", text: device.state_label })]),
      el("dt", { text: T.grade }), el("dd", { text: device.grade || "—" }),
      el("dt", { text: T.location }), el("dd", { text: device.location ? device.location.code + " — " + device.location.name : T.none }),
      el("dt", { text: T.collection }), el("dd", { text: device.collection.reference })
    ]);
    card.appendChild(title);
    card.appendChild(facts);

    if (current.allowed.length) {
      var next = el("div", { "class": "rk-next", role: "group", "aria-label": T.next }, [el("h3", { text: T.next })]);
      current.allowed.forEach(function (state, index) {
        next.appendChild(el("button", {
          type: "button", "class": "btn btn-primary", "data-key": String(index + 1),
          onclick: function () { chooseTransition(index); }
        }, [el("kbd", { text: String(index + 1) }), config.states[state]]));
      });
      card.appendChild(next);
    }
    if (device.state === "grading") {
      card.appendChild(el("div", { "class": "rk-next" }, [
        el("a", { "class": "btn btn-primary", href: checklistUrl(device), id: "open-checklist" },
          [el("kbd", { text: "G" }), T.checklist])
      ]));
    }
    if (device.storage && device.storage.length) {
      var list = el("ul", { "class": "rk-media" });
      device.storage.forEach(function (medium) {
        var label = (config.media[medium.kind] || medium.kind) + (medium.serial_number ? " n° " + medium.serial_number : "");
        var item = el("li", {}, [label + " — " + (medium.sanitised ? T.sanitised : T.pending) + " "]);
        if (medium.needs_replacement) {
          item.appendChild(el("strong", { "class": "label label-danger rk-replace" }, [T.disk_replace]));
          item.appendChild(document.createTextNode(" "));
        }
        if (!medium.sanitised && medium.origin !== "fitted" && device.state === "wiping") {
          var preset = config.default_erasure[medium.kind];
          var first = !current.pendingMedium;
          if (first) { current.pendingMedium = { medium: medium, preset: preset }; }
          item.appendChild(el("button", {
            type: "button", "class": "btn btn-default",
            onclick: function () { erase(medium, preset); }
          }, [first ? el("kbd", { text: "E" }) : null, T.record_erasure + " (" + config.techniques[preset[1]] + ")"]));
          item.appendChild(el("button", {
            type: "button", "class": "btn btn-default", onclick: function () { erase(medium, preset, "fail"); }
          }, [T.record_failure]));
          item.appendChild(el("button", {
            type: "button", "class": "btn btn-default", onclick: function () { erase(medium, ["destroy", "drill"]); }
          }, [T.record_destroyed]));
        }
        list.appendChild(item);
      });
      card.appendChild(el("h3", { text: T.media }));
      card.appendChild(list);
    }
    if (events && events.length) {
      var table = el("ul", { "class": "rk-events" });
      events.slice().reverse().forEach(function (e) {
        var when = new Date(e.at).toLocaleString("fr-FR", { timeZone: "America/Martinique", day: "2-digit", month: "2-digit",
                                                          year: "numeric", hour: "2-digit", minute: "2-digit" });
        var what = e.kind === "transition" ? config.states[e.to_state] : (T.kinds[e.kind] || e.kind);
        if (e.kind === "graded" && e.note) { what = e.note; }
        table.appendChild(el("li", { text: when + " — " + what + (e.user ? " — " + e.user : "") + (e.location ? " — " + e.location : "") }));
      });
      card.appendChild(el("h3", { text: T.history }));
      card.appendChild(table);
    }
    card.appendChild(el("p", {}, [
      el("a", { href: url("devicePage", device.asset_tag), text: T.open }), " · ",
      el("a", { href: labelUrl(device), id: "reprint-label" }, [el("kbd", { text: "P" }), T.reprint])
    ]));
  }

  function renderLocation(location) {
    current = null;
    card.innerHTML = "";
    card.appendChild(el("h2", { text: location.code }));
    card.appendChild(el("p", { text: location.name }));
  }

  function renderCollection(collection) {
    current = null;
    card.innerHTML = "";
    card.appendChild(el("h2", { text: collection.reference + " — " + collection.donor.name }));
    card.appendChild(el("p", { text: collection.registered_count + " " + T.registered + " / " + collection.declared_count + " " + T.declared }));
  }

  // --- actions -----------------------------------------------------------------------------
  function handleScanAnswer(data) {
    if (data._status !== 200) { say("error", data.message || ("Erreur " + data._status)); return; }
    say(data.level || "ok", data.message);
    showPutaway(data.putaway);
    if (data.kind === "device") { renderDevice(data.device, data.allowed, data.device.events); }
    else if (data.kind === "location") { renderLocation(data.location); }
    else if (data.kind === "collection") { renderCollection(data.collection); }
  }

  function scan(code) {
    var station = stationSelect.value;
    return request("POST", root.dataset.scanUrl, { code: code, station: station === "reception" ? null : station })
      .then(handleScanAnswer)
      .catch(function () { say("error", T.network); })
      .then(refocus);
  }

  function chooseTransition(index) {
    if (!current || index >= current.allowed.length) { return; }
    var target = current.allowed[index];
    var key = String(index + 1);
    if (TERMINAL[target] && confirmKey !== key) {
      confirmKey = key;
      say("info", T.confirm + " " + config.states[target]);
      return;
    }
    confirmKey = null;
    var tag = current.device.asset_tag;
    request("POST", url("transitionUrl", tag), { to: target, version: current.device.version })
      .then(function (data) {
        if (data._status === 200) {
          // Refresh the card first, so that the next key acts on the new state.
          return rescanAfterAction(tag).then(function () { say("ok", tag + " → " + config.states[data.result.state]); });
        }
        say("error", data.message);
      })
      .catch(function () { say("error", T.network); })
      .then(refocus);
  }

  function rescanAfterAction(tag) {
    // The repeat guard ignores the same code within 2 s; ask for the device directly instead.
    return Promise.all([request("GET", url("deviceUrl", tag)), request("GET", url("historyUrl", tag))])
      .then(function (answers) {
        var device = answers[0].result;
        if (!device) { return; }
        renderDevice(device, device.allowed || [], answers[1].result || []);
      });
  }

  function checklistUrl(device) {
    var back = root.dataset.stationPage + "?show=" + encodeURIComponent(device.asset_tag);
    return root.dataset.deviceSheet.replace("__ID__", device.id) + "?next=" + encodeURIComponent(back) + "#grading";
  }

  function labelUrl(device) {
    var back = root.dataset.stationPage + "?show=" + encodeURIComponent(device.asset_tag);
    return root.dataset.labelsPage + "?kind=device&codes=" + encodeURIComponent(device.asset_tag) + "&next=" + encodeURIComponent(back);
  }

  function erase(medium, preset, outcome) {
    if (!current) { return; }
    var tag = current.device.asset_tag;
    var failed = outcome === "fail";
    var body = { level: preset[0], technique: preset[1], result: failed ? "fail" : "pass", verified: !failed };
    if (medium.serial_number) { body.medium_serial = medium.serial_number; }
    request("POST", url("erasureUrl", tag), body)
      .then(function (data) {
        if (data._status === 201) {
          return rescanAfterAction(tag).then(function () { say(failed ? "error" : "ok", tag + " : " + (failed ? T.failed : T.sanitised)); });
        }
        say("error", data.message);
      })
      .catch(function () { say("error", T.network); })
      .then(refocus);
  }

  // --- « Inventaire » mode ------------------------------------------------------------------
  function stocktakeMode() { return stationSelect.value === config.stocktake_mode; }

  // « 0 compté », « 1 compté », « 12 comptés »: the catalog has each form.
  function plural(forms, n) { return forms[String(n)] || forms.n.replace("{n}", n.toLocaleString("fr-FR")); }

  function showCount(data) {
    var place = data.location;
    if (!place) { return; }
    countPlace.textContent = (data.stocktake ? T.stocktake + " " + data.stocktake.reference + " — " : "")
      + place.code + " — " + place.name + " (" + place.status_label + ")";
    var figures = plural(T.counted, data.counted_here);
    if (data.expected_here !== null && data.expected_here !== undefined) { figures += " / " + plural(T.expected, data.expected_here); }
    countFigures.textContent = figures;
    countBox.hidden = false;
  }

  function askQuantity(data) {
    asking = data.code;
    quantityLabel.textContent = T.quantity_of.replace("{code}", data.code).replace("{location}", data.location ? data.location.code : "");
    quantityInput.value = String(data.part_quantity);
    quantityBox.hidden = false;
    quantityInput.focus();
    quantityInput.select();
  }

  function closeQuantity(backToCode) {
    asking = null;
    quantityBox.hidden = true;
    quantityInput.value = "";
    if (backToCode) { input.focus(); }
  }

  function handleCountAnswer(data, sent) {
    if (data._status !== 200) { say("error", data.message || ("Erreur " + data._status)); return; }
    say(data.level || "ok", data.message);
    showCount(data);
    // Asked only when the scanner is idle: within a burst, each unit scanned counts one.
    if (data.asks_quantity && sent.quantity === undefined && !queue.length && input.value === "") { askQuantity(data); }
  }

  function nextCount() {
    var body = queue.shift();
    if (!body) { counting = false; return; }
    counting = true;
    request("POST", root.dataset.stocktakeUrl, body)
      .then(function (data) { handleCountAnswer(data, body); })
      .catch(function () { say("error", T.network); })
      .then(nextCount);
  }

  // Scans are sent one at a time, in the order they were typed: a location before what is in it.
  function count(body) {
    queue.push(body);
    if (!counting) { nextCount(); }
  }

  function showMode() {
    var on = stocktakeMode();
    document.getElementById("scan-help").hidden = on;
    document.getElementById("scan-help-stocktake").hidden = !on;
    input.setAttribute("aria-describedby", on ? "scan-help-stocktake" : "scan-help");
    if (on) {
      current = null;
      card.innerHTML = "";
      showPutaway(null);
    } else {
      countBox.hidden = true;
      closeQuantity(false);
    }
  }

  quantityInput.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.preventDefault(); closeQuantity(true); return; }
    if (event.key !== "Enter") { return; }
    event.preventDefault();
    var typed = quantityInput.value.trim(), code = asking;
    closeQuantity(true);
    // Digits are the quantity; anything else was scanned or typed here: a scan like any other.
    if (/^[0-9]+$/.test(typed)) { count({ code: code, quantity: Number(typed) }); }
    else if (typed) { count({ code: typed }); }
  });
  quantityBox.addEventListener("submit", function (event) { event.preventDefault(); });

  // --- keyboard ----------------------------------------------------------------------------
  function shortcut(key) {
    if (/^[1-9]$/.test(key)) { chooseTransition(Number(key) - 1); return true; }
    var upper = key.toUpperCase();
    if (current && current.device.state === "grading" && upper === "G") { window.location.href = checklistUrl(current.device); return true; }
    if (current && upper === "P") { window.location.href = labelUrl(current.device); return true; }
    if (current && upper === "E" && current.pendingMedium) {
      erase(current.pendingMedium.medium, current.pendingMedium.preset);
      return true;
    }
    return false;
  }

  function isShortcutCandidate(key) {
    if (!current) { return false; }
    if (/^[1-9]$/.test(key)) { return Number(key) <= current.allowed.length; }
    var upper = key.toUpperCase();
    if (upper === "E") { return Boolean(current.pendingMedium); }
    if (upper === "P") { return true; }
    return current.device.state === "grading" && upper === "G";
  }

  input.addEventListener("keydown", function (event) {
    if (pendingKey !== null && event.key !== "Enter") {
      // Another key came quickly: it was typing or a scan, not a shortcut.
      clearTimeout(pendingTimer);
      input.value += pendingKey;
      pendingKey = null;
    }
    if (event.key === "Enter") {
      event.preventDefault();
      if (pendingKey !== null) { clearTimeout(pendingTimer); input.value += pendingKey; pendingKey = null; }
      var code = input.value;
      if (code.trim() && stocktakeMode()) {
        input.value = "";          // the next code may come at once: queued, never wiped
        closeQuantity(false);
        count({ code: code });
      } else if (code.trim()) { confirmKey = null; scan(code); }
      return;
    }
    if (input.value === "" && event.key.length === 1 && !event.ctrlKey && !event.altKey && !event.metaKey
        && isShortcutCandidate(event.key)) {
      event.preventDefault();
      pendingKey = event.key;
      pendingTimer = setTimeout(function () {
        var key = pendingKey;
        pendingKey = null;
        shortcut(key);
      }, SHORTCUT_WAIT_MS);
    }
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); });

  stationSelect.value = window.localStorage.getItem("rk-station") || "reception";
  // From a stocktake's page (?mode=stocktake): the station opens in « Inventaire » mode.
  if (new URLSearchParams(window.location.search).get("mode") === config.stocktake_mode) {
    stationSelect.value = config.stocktake_mode;
    window.localStorage.setItem("rk-station", stationSelect.value);
  }
  showMode();
  // From the keyboard (Tab, arrows), the list keeps the focus until Enter or Escape; picked
  // with a finger or the mouse, the focus goes straight back to the code field.
  var stationByKeyboard = false;
  stationSelect.addEventListener("keydown", function (event) {
    if (event.key === "Enter" || event.key === "Escape") {
      event.preventDefault();
      stationByKeyboard = false;
      refocus();
    } else {
      stationByKeyboard = true;
    }
  });
  stationSelect.addEventListener("change", function () {
    window.localStorage.setItem("rk-station", stationSelect.value);
    showMode();
    if (!stationByKeyboard) { refocus(); }
  });
  // Wherever a click lands, the next scan must reach the code field.
  document.addEventListener("click", function (event) {
    if (event.target.tagName !== "SELECT" && event.target.tagName !== "A" && !quantityBox.contains(event.target)) {
      setTimeout(function () { input.focus(); }, 0);
    }
  });
  // Back from the checklist (?show=RK-…): show the device's card, without scanning it.
  var shown = new URLSearchParams(window.location.search).get("show");
  if (shown) { rescanAfterAction(shown).then(refocus); }
  input.focus();
})();
