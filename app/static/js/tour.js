/* « Tournée » (issue 20): run a mobile workshop without a network, then send the day's work.
 *
 * Before leaving (online): choose the day's sessions and, with a mobile unit, the devices to hand
 * over; « Télécharger » keeps the download in IndexedDB (tour-store.js). Offline: attendance and
 * satisfaction, walk-in participants, handovers with their invoice numbered in the unit's series
 * and printed at once. Every action goes to the outbox with an idempotency key and its order.
 * Back online (the « online » event or « Envoyer »), the outbox is sent in batches; what the server
 * could not apply stays on screen, with what to do, until the office resolves it. No request is
 * made while the browser is offline. */
(function () {
  "use strict";
  var T = window.RkTour, F = T.format, S = T.store, C = T.chain;
  var config = JSON.parse(document.getElementById("tour-config").textContent);
  var X = config.text;
  var state = { saved: null, outbox: [], marks: {}, options: null, syncing: false, csrf: config.csrf, handing: null };

  function $(id) { return document.getElementById(id); }
  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "class") { node.className = attrs[k]; } else if (k in node && k !== "list") { node[k] = attrs[k]; } else { node.setAttribute(k, attrs[k]); }
    });
    return node;
  }
  function labelled(text, control) {
    var wrap = el("div"), label = el("label", text, { htmlFor: control.id });
    wrap.appendChild(label); wrap.appendChild(control); return wrap;
  }
  function select(id, choices, value) {
    var s = el("select", null, { id: id });
    choices.forEach(function (c) { var o = el("option", c[1], { value: c[0] }); if (c[0] === value) { o.selected = true; } s.appendChild(o); });
    return s;
  }
  function button(text, onClick, cls) {
    var b = el("button", text, { type: "button", class: cls || "" });
    b.addEventListener("click", onClick); return b;
  }

  // --- messages and network -----------------------------------------------------------------
  function say(kind, text) {
    var box = $("tour-message");
    box.className = "message " + kind; box.textContent = text; box.hidden = !text;
    if (text === X.expired) {           // the way back: sign in, then return to this page
      box.appendChild(document.createTextNode(" "));
      box.appendChild(el("a", X.sign_in, { href: config.login }));
    }
  }
  function showNetwork() {
    var pill = $("tour-network"), online = navigator.onLine;
    pill.textContent = online ? X.online : X.offline;
    pill.className = "tour-pill " + (online ? "online" : "offline");
    $("tour-send").disabled = !online || state.syncing;
  }
  // A warning about the browser's storage or offline support (the box stays hidden without one).
  function storage(text) { var box = $("tour-storage"); box.textContent = text; box.hidden = false; }
  window.addEventListener("online", function () { showNetwork(); sync(); });
  window.addEventListener("offline", showNetwork);

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(config.worker, { scope: config.scope }).catch(function () {
      storage(X.no_worker);
    });
  }

  // --- the server ---------------------------------------------------------------------------
  function api(method, url, body) {
    var headers = { "Accept": "application/json" };
    if (body !== undefined) { headers["Content-Type"] = "application/json"; headers["X-CSRFToken"] = state.csrf; }
    return fetch(url, { method: method, headers: headers, credentials: "same-origin", redirect: "manual",
                        body: body === undefined ? undefined : JSON.stringify(body) })
      .then(function (response) {
        if (response.type === "opaqueredirect" || response.status === 401) { return { status: 401, body: {} }; }
        return response.json().catch(function () { return {}; }).then(function (json) { return { status: response.status, body: json }; });
      });
  }
  function tourUrl(suffix) { return config.api + "/" + state.saved.tour.id + (suffix || ""); }

  // --- the saved tour -----------------------------------------------------------------------
  // Redraw from what is kept. Every action redraws the lists: the keyboard stays on the control it
  // was on (the same id in the new lists), not sent back to the top of the page.
  function reload() {
    return Promise.all([S.get("meta", "tour"), S.all("outbox"), S.all("marks")]).then(function (parts) {
      var focused = document.activeElement && document.activeElement.id;
      state.saved = parts[0] || null;
      state.outbox = parts[1].sort(function (a, b) { return a.seq - b.seq; });
      state.marks = {}; parts[2].forEach(function (m) { state.marks[m.id] = m; });
      render();
      var again = focused && $(focused);
      if (again && document.activeElement !== again && !again.disabled) { again.focus(); }
    });
  }

  function now() { return new Date(); }

  // Why the tour's data may no longer be used to record, or null.
  function stale() {
    var tour = state.saved.tour, t = now().getTime();
    if (state.saved.user_id !== config.user_id) { return X.other_account; }
    // An ended tour says so first, whatever its age: what is left is sending and erasing it.
    if (tour.status === "closed" || state.outbox.some(function (r) { return r.kind === "close"; })) { return X.closed; }
    if (t >= F.parse(tour.valid_until).getTime()) { return X.too_old; }
    if (t < F.parse(tour.downloaded_at).getTime() - 10 * 60 * 1000) { return X.clock_back; }
    return null;
  }

  function render() {
    showNetwork();
    var saved = state.saved;
    $("tour-prepare").hidden = !!saved;
    $("tour-run").hidden = !saved;
    $("tour-outbox").hidden = !saved;
    if (!saved) { renderPrepare(); return; }
    var tour = saved.tour, downloaded = F.parse(tour.downloaded_at), until = F.parse(tour.valid_until);
    $("tour-banner").textContent = X.banner.replace("{reference}", tour.reference)
      .replace("{date}", F.dateFr(downloaded)).replace("{time}", F.timeFr(downloaded))
      .replace("{until_date}", F.dateFr(until)).replace("{until_time}", F.timeFr(until));
    var why = stale();
    $("tour-stale").textContent = why || "";
    $("tour-stale").hidden = !why;
    renderStops(!why);
    renderLoads(!why);
    renderOutbox();
  }

  // --- before leaving -----------------------------------------------------------------------
  function renderPrepare() {
    var box = $("tour-options");
    if (!navigator.onLine) { box.textContent = X.need_network; return; }
    if (state.options) { return; }
    fetchOptions();
  }

  function chosenDay() { return document.querySelector("input[name=tour-day]:checked").value; }

  function fetchOptions() {
    var box = $("tour-options");
    box.textContent = X.loading;
    api("GET", config.api + "/options?date=" + chosenDay()).then(function (answer) {
      if (answer.status === 401) { box.textContent = X.expired; return; }
      if (answer.status !== 200) { box.textContent = answer.body.message || X.failed; return; }
      state.options = answer.body.result;
      drawOptions();
    }).catch(function () { box.textContent = X.failed; });
  }

  function drawOptions() {
    var box = $("tour-options"), o = state.options;
    box.textContent = "";
    var sessions = el("fieldset"); sessions.appendChild(el("legend", X.sessions));
    if (!o.sessions.length) { sessions.appendChild(el("p", X.no_session)); }
    o.sessions.forEach(function (s) {
      var id = "tour-session-" + s.id, line = el("label", null, { class: "choice", htmlFor: id });
      line.appendChild(el("input", null, { type: "checkbox", id: id, value: s.id, checked: true, name: "tour-session" }));
      line.appendChild(el("span", s.label + " — " + s.commune)); sessions.appendChild(line);
    });
    box.appendChild(sessions);
    if (config.stock_manager) {
      var units = [["", X.no_unit]].concat(o.units.filter(function (u) { return !u.out; }).map(function (u) { return [u.code, u.label]; }));
      box.appendChild(labelled(X.unit, select("tour-unit", units, units.length > 1 ? units[1][0] : "")));
      var loads = el("fieldset"); loads.appendChild(el("legend", X.devices));
      if (!o.reservations.length) { loads.appendChild(el("p", X.no_device)); }
      o.reservations.forEach(function (r) {
        var id = "tour-reservation-" + r.id, line = el("label", null, { class: "choice", htmlFor: id });
        line.appendChild(el("input", null, { type: "checkbox", id: id, value: r.id, checked: r.preselected, name: "tour-reservation" }));
        line.appendChild(el("span", r.label)); loads.appendChild(line);
      });
      box.appendChild(loads);
    }
    box.appendChild(button(X.download, download));
  }

  function checked(name) {
    return Array.prototype.map.call(document.querySelectorAll("input[name=" + name + "]:checked"), function (i) { return parseInt(i.value, 10); });
  }

  // A tour kept on this device (downloaded in another tab) is never replaced: asked first, so that
  // no second tour is taken out on the server, and checked again where the new one is written.
  function download() {
    if (!navigator.onLine) { say("error", X.need_network); return; }
    if (state.downloading) { return; }
    state.downloading = true;
    var unit = config.stock_manager ? $("tour-unit").value : "";
    function kept() { say("error", X.already_kept); return reload(); }
    S.get("meta", "tour").then(function (saved) {
      if (saved) { return kept(); }
      return S.deviceKey().then(function (key) {
        var body = { date: chosenDay(), session_ids: checked("tour-session"), device_key: key };
        if (unit) { body.unit = unit; body.reservation_ids = checked("tour-reservation"); }
        return api("POST", config.api, body);
      }).then(function (answer) {
        if (answer.status === 401) { say("error", X.expired); return; }
        if (answer.status !== 201) { say("error", answer.body.message || X.failed); return; }
        return S.keepTour(answer.body.result, answer.body.snapshot, config.user_id).then(function (done) {
          if (!done) { return kept(); }
          say("ok", X.downloaded); return reload();
        });
      });
    }).catch(function () { say("error", X.failed); }).then(function () { state.downloading = false; });
  }

  // --- the stops ----------------------------------------------------------------------------
  function satisfactionSelect(id) {
    return select(id, [["", X.no_score], ["1", "1"], ["2", "2"], ["3", "3"], ["4", "4"], ["5", "5"]], "");
  }

  function markAttendance(booking, attended) {
    var score = $("tour-score-" + booking.id).value;
    var data = { booking_id: booking.id, attended: attended, satisfaction: attended && score ? parseInt(score, 10) : null };
    S.record("attendance", data, [{ id: "booking:" + booking.id, attended: attended, satisfaction: data.satisfaction }], now())
      .then(function () { say("ok", X.saved.replace("{name}", booking.first_name + " " + booking.last_name)); return reload(); });
  }

  function renderStops(usable) {
    var box = $("tour-stops"); box.textContent = "";
    state.saved.snapshot.sessions.forEach(function (s) {
      var card = el("section", null, { class: "card" });
      card.appendChild(el("h2", X.stop_title.replace("{topic}", s.topic_label).replace("{date}", s.date)
        .replace("{start}", s.start).replace("{end}", s.end)));
      card.appendChild(el("p", s.venue_label + (s.address ? ", " + s.address : "") + " — " + s.commune));
      var table = el("table"), head = el("tr");
      [X.participant, X.phone, X.attendance, X.score, X.actions].forEach(function (h) { head.appendChild(el("th", h, { scope: "col" })); });
      table.appendChild(el("thead")).appendChild(head);
      var body = table.appendChild(el("tbody"));
      s.bookings.forEach(function (b) {
        var mark = state.marks["booking:" + b.id];
        var tr = el("tr");
        tr.appendChild(el("td", b.first_name + " " + b.last_name));
        tr.appendChild(el("td", b.phone || "—"));
        tr.appendChild(el("td", mark ? (mark.attended ? X.present : X.absent) : b.status_label));
        var scoreCell = el("td"), score = satisfactionSelect("tour-score-" + b.id);
        score.setAttribute("aria-label", X.score + " — " + b.first_name + " " + b.last_name);
        if (mark && mark.satisfaction) { score.value = String(mark.satisfaction); }
        scoreCell.appendChild(score); tr.appendChild(scoreCell);
        var actions = el("td", null, { class: "row-actions" });
        var present = button(X.mark_present, function () { markAttendance(b, true); });
        var absent = button(X.mark_absent, function () { markAttendance(b, false); }, "secondary");
        present.id = "tour-present-" + b.id; absent.id = "tour-absent-" + b.id;
        present.setAttribute("aria-label", X.mark_present + " — " + b.first_name + " " + b.last_name);
        absent.setAttribute("aria-label", X.mark_absent + " — " + b.first_name + " " + b.last_name);
        present.disabled = absent.disabled = score.disabled = !usable;
        actions.appendChild(present); actions.appendChild(absent); tr.appendChild(actions);
        body.appendChild(tr);
      });
      if (!s.bookings.length) { body.appendChild(el("tr")).appendChild(el("td", X.nobody_booked, { colSpan: 5 })); }
      Object.keys(state.marks).filter(function (k) { return k.indexOf("walk_in:" + s.id + ":") === 0; }).forEach(function (k) {
        var m = state.marks[k], tr = el("tr");
        tr.appendChild(el("td", (m.first_name || "") + " " + m.last_name + " (" + X.walk_in + ")"));
        tr.appendChild(el("td", m.phone || "—")); tr.appendChild(el("td", X.present));
        tr.appendChild(el("td", m.satisfaction || "—")); tr.appendChild(el("td"));
        body.appendChild(tr);
      });
      card.appendChild(table);
      card.appendChild(walkInForm(s, usable));
      box.appendChild(card);
    });
  }

  function walkInForm(s, usable) {
    var form = el("form", null, { class: "walk-in" }), p = "tour-walk-" + s.id + "-";
    form.appendChild(el("h3", X.add_participant));
    var grid = el("div", null, { class: "grid" });
    var last = el("input", null, { type: "text", id: p + "last", required: true, maxLength: 100, autocomplete: "off" });
    var first = el("input", null, { type: "text", id: p + "first", maxLength: 100, autocomplete: "off" });
    var communes = state.saved.snapshot.communes.map(function (c) { return [c.insee, c.name]; });
    var commune = select(p + "commune", communes, s.commune_insee);
    var phone = el("input", null, { type: "tel", id: p + "phone", maxLength: 30, autocomplete: "off" });
    var score = satisfactionSelect(p + "score");
    [[X.last_name, last], [X.first_name, first], [X.commune, commune], [X.phone, phone], [X.score, score]]
      .forEach(function (pair) { grid.appendChild(labelled(pair[0], pair[1])); });
    form.appendChild(grid);
    var add = el("button", X.add, { type: "submit", id: p + "add" }); add.disabled = !usable;
    form.appendChild(add);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (add.disabled) { return; }          // Enter pressed again while the first one is recorded
      if (!last.value.trim()) { say("error", X.last_name_needed); last.focus(); return; }
      add.disabled = true;
      var data = { session_id: s.id, last_name: last.value.trim(), first_name: first.value.trim() || null,
                   commune_insee: commune.value, phone: phone.value.trim() || null,
                   satisfaction: score.value ? parseInt(score.value, 10) : null };
      var key = "walk_in:" + s.id + ":" + Date.now();
      S.record("walk_in", data, [Object.assign({ id: key }, data)], now()).then(function () {
        say("ok", X.saved.replace("{name}", (data.first_name || "") + " " + data.last_name)); return reload();
      }, function () { add.disabled = false; });
    });
    return form;
  }

  // --- handovers ----------------------------------------------------------------------------
  function renderLoads(usable) {
    var box = $("tour-loads"); box.textContent = "";
    var snap = state.saved.snapshot;
    if (!snap.reservations || !snap.reservations.length) { return; }
    var card = el("section", null, { class: "card" });
    card.appendChild(el("h2", X.devices));
    snap.reservations.forEach(function (r) {
      var done = state.marks["reservation:" + r.id];
      var line = el("div", null, { class: "row-actions" });
      line.appendChild(el("span", r.household.buyer_name + " — " + r.device.category_label + " " + r.device.asset_tag +
                                  " — " + F.eurosFromCents(F.centsOf(r.device_line.total_ttc))));
      if (done) {
        line.appendChild(el("strong", X.handed_over.replace("{number}", done.number)));
        var again = button(X.print, function () { printDocument(done.number); }, "secondary");
        again.id = "tour-print-" + r.id;
        again.setAttribute("aria-label", X.print + " — " + done.number);
        line.appendChild(again);
      } else {
        var go = button(X.hand_over, function () { openHandover(r); });
        go.id = "tour-hand-" + r.id;
        go.setAttribute("aria-label", X.hand_over + " — " + r.device.asset_tag);
        go.disabled = !usable;
        line.appendChild(go);
      }
      card.appendChild(line);
    });
    box.appendChild(card);
  }

  function openHandover(r) {
    var snap = state.saved.snapshot, box = $("tour-handover");
    state.handing = r;
    box.textContent = ""; box.hidden = false;
    box.appendChild(el("h2", X.handover_of.replace("{device}", r.device.asset_tag).replace("{name}", r.household.buyer_name)));
    var grid = el("div", null, { class: "grid" });
    grid.appendChild(labelled(X.payment, select("tour-pay", config.methods, "cash")));
    var sessions = [["", X.workshop_later]].concat(r.proposals.map(function (p) {
      return [String(p.session_id), p.topic + " — " + p.date + " " + p.start + " — " + p.place + " (" + p.free_seats + " " + X.free + ")"]; }));
    grid.appendChild(labelled(X.workshop, select("tour-workshop", sessions, sessions.length > 1 ? sessions[1][0] : "")));
    grid.appendChild(labelled(X.internet, select("tour-internet", config.internet, "mobile")));
    box.appendChild(grid);
    var offer = el("label", null, { class: "choice", htmlFor: "tour-offer" });
    offer.appendChild(el("input", null, { type: "checkbox", id: "tour-offer" }));
    offer.appendChild(el("span", X.offer)); box.appendChild(offer);
    var accessories = el("fieldset"); accessories.appendChild(el("legend", X.accessories));
    snap.accessories.forEach(function (a) {
      var quantities = [["0", "0"]]; for (var n = 1; n <= 10; n++) { quantities.push([String(n), String(n)]); }
      var s = select("tour-acc-" + a.code, quantities, "0");
      s.addEventListener("change", showTotal);
      accessories.appendChild(labelled(a.label + " — " + F.eurosFromCents(F.centsOf(a.price)), s));
    });
    box.appendChild(accessories);
    box.appendChild(el("p", null, { id: "tour-total", class: "banner", "aria-live": "polite" }));
    box.appendChild(button(X.validate, validateHandover));
    box.appendChild(button(X.cancel, function () { box.hidden = true; state.handing = null; $("tour-hand-" + r.id).focus(); },
                           "secondary"));
    showTotal();
    $("tour-pay").focus();
  }

  function choice() {
    var r = state.handing;
    return { reservationId: r.id, method: $("tour-pay").value, sessionId: $("tour-workshop").value ? parseInt($("tour-workshop").value, 10) : null,
             accessories: state.saved.snapshot.accessories.map(function (a) { return { code: a.code, quantity: parseInt($("tour-acc-" + a.code).value, 10) }; })
               .filter(function (a) { return a.quantity > 0; }) };
  }

  function showTotal() {
    var invoice = C.draft(state.saved.snapshot, choice());
    $("tour-total").textContent = X.total + " " + F.eurosFromCents(invoice.totalCents);
  }

  function validateHandover() {
    var r = state.handing, snap = state.saved.snapshot, picked = choice();
    if (stale()) { say("error", stale()); return; }
    var invoice = C.draft(snap, picked), when = now();
    var methods = {}; config.methods.forEach(function (m) { methods[m[0]] = m[1]; });
    function action(numbered, hash) {
      return { reservation_id: r.id, payments: invoice.content.payments, accessories: picked.accessories,
               session_id: picked.sessionId, internet_access: $("tour-internet").value,
               internet_offer_referred: $("tour-offer").checked,
               invoice: { number: numbered.content.number, issued_at: numbered.content.issued_at,
                          unit_position: numbered.position, unit_previous_hash: numbered.previousHash, unit_hash: hash,
                          workshop: invoice.workshop, content: numbered.content } };
    }
    function documentOf(numbered, hash, seq) {
      return { number: numbered.content.number, seq: seq, content: numbered.content, hash: hash,
               unit: snap.series.unit, household_reference: r.household.reference, vat_mention: snap.vat_mention,
               vat_rate: snap.vat_rate, guarantee: snap.guarantee, programme: snap.programme, methods: methods };
    }
    if (state.issuing) { return; }
    state.issuing = true;
    S.issue(invoice, action, documentOf, when, "reservation:" + r.id).then(function (done) {
      if (!done) { say("error", X.failed); return; }
      $("tour-handover").hidden = true; state.handing = null;
      if (done.already) {          // handed over meanwhile (another tab): nothing new recorded
        say("info", X.handed_over.replace("{number}", done.already.number));
        return reload().then(function () { $("tour-print-" + r.id).focus(); });
      }
      say("ok", X.handover_done.replace("{number}", done.number));
      return reload().then(function () { $("tour-print-" + r.id).focus(); return printDocument(done.number, true); });
    }).catch(function () { say("error", X.failed); }).then(function () { state.issuing = false; });
  }

  // Fill the print area with a document kept on the device; print it unless ``fillOnly``.
  function printDocument(number, fillOnly) {
    return S.get("documents", number).then(function (doc) {
      if (!doc) { return; }
      T.print.fill(doc);
      if (!fillOnly) { window.print(); }
    });
  }

  // --- the outbox and the sync --------------------------------------------------------------
  var KINDS = { attendance: "kind_attendance", walk_in: "kind_walk_in", handover: "kind_handover", close: "kind_close" };

  function summary(r) {
    var d = r.data;
    if (r.kind === "attendance") {
      var who = null;
      state.saved.snapshot.sessions.forEach(function (s) { s.bookings.forEach(function (b) { if (b.id === d.booking_id) { who = b; } }); });
      return (who ? who.first_name + " " + who.last_name : "") + " — " + (d.attended ? X.present : X.absent);
    }
    if (r.kind === "walk_in") { return (d.first_name || "") + " " + d.last_name; }
    if (r.kind === "handover") { return d.invoice.number + " — " + F.eurosFromCents(F.centsOf(d.invoice.content.total_ttc)); }
    return "";
  }

  function renderOutbox() {
    var rows = $("tour-records"); rows.textContent = "";
    state.outbox.forEach(function (r) {
      var tr = el("tr");
      var moment = F.parse(r.recorded_at);
      tr.appendChild(el("td", r.seq));
      tr.appendChild(el("td", F.timeFr(moment)));
      tr.appendChild(el("td", X[KINDS[r.kind]]));
      tr.appendChild(el("td", summary(r)));
      tr.appendChild(el("td", X["state_" + r.state], { class: "state-" + r.state }));
      var what = el("td"), held = r.state === "conflict" || r.state === "refused";
      // Once settled by the office, what was wrong and what to do no longer hold: the state says it.
      if (held && r.message) { what.appendChild(el("p", r.message)); }
      if (held && r.what_to_do) { what.appendChild(el("p", X.what_to_do + " " + r.what_to_do)); }
      if (r.kind === "handover") {
        var reprint = button(X.reprint, function () { printDocument(r.data.invoice.number); }, "secondary");
        reprint.setAttribute("aria-label", X.reprint + " — " + r.data.invoice.number);
        what.appendChild(reprint);
      }
      tr.appendChild(what);
      rows.appendChild(tr);
    });
    var open = state.outbox.filter(function (r) { return ["pending", "sent", "conflict", "refused"].indexOf(r.state) >= 0; });
    $("tour-empty").hidden = state.outbox.length > 0;
    $("tour-forget").hidden = !(state.outbox.length && !open.length && stale() === X.closed);
    // Data too old still let the tour be ended: ending, sending and erasing it is the only way to
    // download the next one (the unit stays out until then).
    var why = stale();
    $("tour-close").disabled = !!why && why !== X.too_old;
  }

  function progress(done, total) {
    var applied = state.outbox.filter(function (r) { return ["applied", "resolved", "dismissed"].indexOf(r.state) >= 0; }).length;
    var held = state.outbox.filter(function (r) { return r.state === "conflict" || r.state === "refused"; }).length;
    $("tour-progress").max = Math.max(total, 1); $("tour-progress").value = done;
    $("tour-progress-text").textContent = X.progress.replace("{done}", done).replace("{total}", total)
      .replace("{applied}", applied).replace("{held}", held);
  }

  function applyResults(results) {
    return results.reduce(function (chain, result) {
      return chain.then(function () {
        var record = state.outbox.filter(function (r) { return r.key === result.key; })[0];
        if (!record || result.outcome === "out_of_order" || result.outcome === "retry") { return null; }
        var changes = { state: result.outcome, message: result.message, what_to_do: result.what_to_do, result: result.result };
        Object.assign(record, changes);
        return S.update(record.seq, changes);
      });
    }, Promise.resolve());
  }

  // A refusal the page words itself or the server's French message; anything else (the network
  // dropped, a proxy's page, a script error) is told as « server unreachable, records kept ».
  function refusal(answer) {
    var error = new Error(answer.status === 401 ? X.expired : (answer.status !== 200 && answer.body.message) || X.failed);
    error.told = true;
    return error;
  }

  function sync() {
    if (!navigator.onLine || state.syncing || !state.saved) { return Promise.resolve(); }
    if (state.saved.user_id !== config.user_id) { say("error", X.other_account); return Promise.resolve(); }
    state.syncing = true; showNetwork();
    function finish(kind, text) { state.syncing = false; if (text) { say(kind, text); } return reload(); }
    return api("GET", tourUrl()).then(function (answer) {
      if (answer.status !== 200 || !answer.body.csrf_token) { throw refusal(answer); }
      state.csrf = answer.body.csrf_token;
      var pending = state.outbox.filter(function (r) { return r.state === "pending" || r.state === "sent"; });
      var total = pending.length, done = 0;
      progress(0, total);
      function next(from) {
        var batch = state.outbox.filter(function (r) { return (r.state === "pending" || r.state === "sent") && r.seq >= from; })
          .slice(0, config.batch);
        if (!batch.length) { return Promise.resolve(); }
        var body = { device_key: null, format: 1, actions: batch.map(function (r) {
          return { key: r.key, seq: r.seq, kind: r.kind, recorded_at: r.recorded_at, data: r.data }; }) };
        return S.deviceKey().then(function (key) {
          body.device_key = key;
          return api("POST", tourUrl("/sync"), body);
        }).then(function (answer) {
          if (answer.status !== 200 || !Array.isArray(answer.body.results)) { throw refusal(answer); }
          return applyResults(answer.body.results).then(function () {
            done = Math.min(total, done + answer.body.results.filter(function (r) {
              return r.outcome !== "out_of_order" && r.outcome !== "retry"; }).length);
            progress(done, total);
            if (answer.body.results.some(function (r) { return r.outcome === "retry"; })) {
              var busy = new Error(X.busy);      // nothing of it was stored: it goes again next time
              busy.told = true;
              throw busy;
            }
            var gap = answer.body.results.filter(function (r) { return r.outcome === "out_of_order"; })[0];
            if (gap && !state.outbox.some(function (r) { return r.seq === gap.expected && (r.state === "pending" || r.state === "sent"); })) {
              // The server waits for a record this device has no more to send: sending on would go
              // round in circles. Everything stays here; the office must look at the tour.
              var stuck = new Error(X.stuck.replace("{seq}", gap.expected));
              stuck.told = true;
              throw stuck;
            }
            return next(gap ? gap.expected : batch[batch.length - 1].seq + 1);
          });
        });
      }
      return next(1).then(function () { return poll(); }).then(function () {
        var held = state.outbox.filter(function (r) { return r.state === "conflict" || r.state === "refused"; }).length;
        return finish(held ? "info" : "ok", held ? X.synced_held : X.synced);
      });
    }).catch(function (error) { return finish("error", error && error.told ? error.message : X.failed); });
  }

  // What the office resolved since: a conflict or refusal the server settled leaves the outbox's worries.
  function poll() {
    var held = state.outbox.filter(function (r) { return r.state === "conflict" || r.state === "refused"; });
    if (!held.length) { return Promise.resolve(); }
    return api("GET", tourUrl("/actions")).then(function (answer) {
      if (answer.status !== 200 || !Array.isArray(answer.body.result)) { return null; }
      var byKey = {}; answer.body.result.forEach(function (a) { byKey[a.key] = a; });
      return held.reduce(function (chain, r) {
        var server = byKey[r.key];
        if (!server || server.outcome === r.state) { return chain; }
        return chain.then(function () { return S.update(r.seq, { state: server.outcome, message: server.message,
                                                                  what_to_do: server.what_to_do }); });
      }, Promise.resolve());
    });
  }

  function closeTour() {
    if (!window.confirm(X.close_confirm)) { return; }
    S.record("close", { note: null }, [], now()).then(function () { return reload(); }).then(function () { return sync(); });
  }

  function forget() {
    if (!window.confirm(X.forget_confirm)) { return; }
    S.forgetTour().then(function () { state.options = null; say("ok", X.forgotten); return reload(); });
  }

  // --- start --------------------------------------------------------------------------------
  $("tour-send").addEventListener("click", function () { sync(); });
  $("tour-close").addEventListener("click", closeTour);
  $("tour-forget").addEventListener("click", forget);
  // Today and tomorrow in Martinique, computed here: the page may come from the worker's cache.
  var today = now(), tomorrow = new Date(today.getTime() + 24 * 3600 * 1000);
  [[today, X.today], [tomorrow, X.tomorrow]].forEach(function (pair, i) {
    var id = "tour-day-" + i, line = el("label", null, { class: "choice", htmlFor: id });
    var radio = el("input", null, { type: "radio", name: "tour-day", id: id, value: F.dayOf(pair[0]), checked: i === 0 });
    radio.addEventListener("change", function () { state.options = null; if (navigator.onLine) { fetchOptions(); } });
    line.appendChild(radio); line.appendChild(el("span", pair[1] + " (" + F.dateFr(pair[0]) + ")"));
    $("tour-days").appendChild(line);
  });
  if (navigator.storage && navigator.storage.persist) {
    navigator.storage.persist().then(function (granted) { if (!granted) { storage(X.not_persisted); } });
  }
  reload().then(function () { if (state.saved) { sync(); } });
  // While online, look every minute whether the office settled what waits here.
  window.setInterval(function () {
    var held = state.outbox.some(function (r) { return r.state === "conflict" || r.state === "refused"; });
    if (navigator.onLine && held) { sync(); }
  }, 60 * 1000);
})();
