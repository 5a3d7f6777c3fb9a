/* « Tournée »: money and Martinique time as the server writes them (core.money.euros_from_cents,
 * core.clock.to_local), so that an invoice made offline reads and hashes exactly as the server's.
 * Amounts are whole cents (integers) in code, "70.00" in the invoice content, « 70,00 € » on
 * screen and on paper. Martinique keeps UTC−4 all year (no daylight saving). */
var RkTour = window.RkTour || (window.RkTour = {});
(function (T) {
  "use strict";
  var NBSP = "\u00a0";
  var OFFSET_MS = 4 * 3600 * 1000;

  function pad(n, width) { return String(n).padStart(width || 2, "0"); }

  // "70.00" (or "70", "70.5") → 7000.
  function centsOf(text) {
    var m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(String(text));
    if (!m) { throw new Error("Montant illisible : " + text); }
    var cents = parseInt(m[2], 10) * 100 + parseInt(((m[3] || "") + "00").slice(0, 2), 10);
    return m[1] ? -cents : cents;
  }

  // 7000 → "70.00" (what the invoice content holds).
  function amountOf(cents) {
    var sign = cents < 0 ? "-" : "", a = Math.abs(cents);
    return sign + Math.floor(a / 100) + "." + pad(a % 100);
  }

  // 123456 → « 1 234,56 € » with non-breaking spaces, as core.money.euros_from_cents.
  function eurosFromCents(cents) {
    var sign = cents < 0 ? "-" : "", a = Math.abs(cents);
    var whole = String(Math.floor(a / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, NBSP);
    return sign + whole + "," + pad(a % 100) + NBSP + "€";
  }

  function wall(date) { return new Date(date.getTime() - OFFSET_MS); }   // read with the UTC getters

  // 2026-12-10T14:30:05-04:00: to_local(moment).isoformat(timespec="seconds").
  function martiniqueIso(date) {
    var d = wall(date);
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + "T" +
      pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds()) + "-04:00";
  }
  function dateFr(date) { var d = wall(date); return pad(d.getUTCDate()) + "/" + pad(d.getUTCMonth() + 1) + "/" + d.getUTCFullYear(); }
  function timeFr(date) { var d = wall(date); return pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()); }
  function yearOf(date) { return wall(date).getUTCFullYear(); }
  function dayOf(date) { return martiniqueIso(date).slice(0, 10); }
  // A moment written by the server (ISO 8601 with its offset) → Date.
  function parse(text) { return new Date(text); }

  T.format = { centsOf: centsOf, amountOf: amountOf, eurosFromCents: eurosFromCents, martiniqueIso: martiniqueIso,
               dateFr: dateFr, timeFr: timeFr, yearOf: yearOf, dayOf: dayOf, parse: parse, pad: pad };
})(RkTour);
