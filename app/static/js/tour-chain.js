/* « Tournée »: an invoice made offline, built from the download alone, numbered in the unit's
 * series and chained (docs/mobile-tour-design.md § 1.3–1.4). The content is exactly what the
 * server's distribution.services.invoicing.unit_content gives for the same invoice, and it is
 * hashed as chain_hash does: sha256(canonical JSON + previous hash). */
var RkTour = window.RkTour || (window.RkTour = {});
(function (T) {
  "use strict";
  var F = T.format;

  // Python's json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")). Keys are
  // ASCII here, so sorting by UTF-16 code units is sorting by code points as Python does; strings
  // are escaped alike (quote, backslash, control characters as \n, \t… or \u00xx in lowercase).
  function canonical(value) {
    if (value === null || typeof value !== "object") { return JSON.stringify(value); }
    if (Array.isArray(value)) { return "[" + value.map(canonical).join(",") + "]"; }
    return "{" + Object.keys(value).sort().map(function (key) {
      return JSON.stringify(key) + ":" + canonical(value[key]);
    }).join(",") + "}";
  }

  function sha256Hex(text) {
    return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)).then(function (buffer) {
      return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return F.pad(b.toString(16)); }).join("");
    });
  }

  function chainHash(content, previousHash) { return sha256Hex(canonical(content) + previousHash); }

  var LINE_KEYS = ["position", "kind", "description", "asset_tag", "serial_number", "quantity", "unit_price_ttc",
                   "total_ttc", "total_ht", "vat"];

  // The invoice of a handover, unnumbered: lines, totals, payments, workshop as printed.
  // choice: {reservationId, method, accessories: [{code, quantity}], sessionId}
  function draft(snapshot, choice) {
    var load = snapshot.reservations.filter(function (r) { return r.id === choice.reservationId; })[0];
    var lines = [Object.assign({}, load.device_line, { position: 1 })];
    choice.accessories.forEach(function (entry, i) {
      var accessory = snapshot.accessories.filter(function (a) { return a.code === entry.code; })[0];
      lines.push(Object.assign({ position: i + 2, kind: entry.code, description: accessory.label, asset_tag: null,
                                 serial_number: null }, accessory.lines[String(entry.quantity)]));
    });
    lines = lines.map(function (line) {
      var out = {}; LINE_KEYS.forEach(function (k) { out[k] = line[k] === undefined ? null : line[k]; }); return out;
    });
    function sum(key) { return lines.reduce(function (s, l) { return s + F.centsOf(l[key]); }, 0); }
    var total = sum("total_ttc");
    var workshop = null;
    if (choice.sessionId) {
      var p = load.proposals.filter(function (x) { return x.session_id === choice.sessionId; })[0];
      workshop = { session_id: p.session_id, topic: p.topic, date: p.date, start: p.start, end: p.end, place: p.place,
                   address: p.address, commune: p.commune, status: "Inscrit", position: null };
    }
    return {
      load: load, lines: lines, workshop: workshop, totalCents: total,
      content: {
        seller: snapshot.seller, buyer_name: load.household.buyer_name, buyer_address: load.household.buyer_address,
        household_id: load.household.id, device_id: load.device.id, reservation_id: load.id,
        vat_regime: snapshot.vat_regime, price_grid_id: snapshot.price_grid.id, tier: load.tier,
        total_ttc: F.amountOf(total), total_ht: F.amountOf(sum("total_ht")), vat: F.amountOf(sum("vat")),
        reference_value: load.reference_value,
        aide_solidaire: F.amountOf(F.centsOf(load.reference_value) - F.centsOf(load.device_line.total_ttc)),
        payments: [{ method: choice.method, amount: F.amountOf(total) }], amount_paid: F.amountOf(total),
        workshop: workshop, lines: lines
      }
    };
  }

  // Number and date the draft in the unit's series as it stands (series: {prefix, next_numbers,
  // position, previous_hash}); returns the content to hash and the series after it.
  function number(series, invoice, issuedAt) {
    var year = F.yearOf(issuedAt);
    var n = series.next_numbers[String(year)] || 1;
    var content = Object.assign({}, invoice.content, {
      number: series.prefix + "-" + year + "-" + F.pad(n, 5), issued_at: F.martiniqueIso(issuedAt) });
    var next = Object.assign({}, series, { next_numbers: Object.assign({}, series.next_numbers),
                                           position: series.position + 1 });
    next.next_numbers[String(year)] = n + 1;
    return { content: content, position: series.position, previousHash: series.previous_hash, next: next };
  }

  T.chain = { canonical: canonical, sha256Hex: sha256Hex, chainHash: chainHash, draft: draft, number: number };
})(RkTour);
