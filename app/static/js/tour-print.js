/* « Tournée »: the household's invoice and large-print handover sheet, printed offline from the
 * document kept when the handover was validated. Same wording and figures as the server's PDFs
 * (distribution/documents/invoice_pdf.py, handover_sheet_pdf.py), not the same bytes. */
var RkTour = window.RkTour || (window.RkTour = {});
(function (T) {
  "use strict";
  var F = T.format;
  var GUARANTEE = "Garantie légale de conformité de deux ans (articles L217-3 et suivants du Code de la consommation).";

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (cls) { node.className = cls; }
    return node;
  }
  function euros(amount) { return F.eurosFromCents(F.centsOf(amount)); }
  // The unit price excluding VAT, as representations._line: the line's HT total over its quantity,
  // rounded half up to the cent (cents are positive here).
  function unitPriceHt(line) { return F.eurosFromCents(Math.round(F.centsOf(line.total_ht) / line.quantity)); }
  function row(cells, header) {
    var tr = el("tr");
    cells.forEach(function (c) { var cell = el(header ? "th" : "td", c.text !== undefined ? c.text : c, c.cls); tr.appendChild(cell); });
    return tr;
  }
  function table(head, rows) {
    var t = el("table"), thead = el("thead"), tbody = el("tbody");
    thead.appendChild(row(head, true)); rows.forEach(function (r) { tbody.appendChild(row(r)); });
    t.appendChild(thead); t.appendChild(tbody); return t;
  }

  function invoiceSection(doc) {
    var c = doc.content, issued = F.parse(c.issued_at), vatShown = c.vat_regime === "standard";
    var s = el("section", null, "print-invoice");
    s.appendChild(el("h1", "Facture n° " + c.number));
    s.appendChild(el("p", "Émise le " + F.dateFr(issued) + " à " + F.timeFr(issued)));
    s.appendChild(el("p", "Facture émise en tournée — unité " + doc.unit, "strong"));
    var seller = c.seller || {};
    var parties = el("div", null, "grid");
    var left = el("div"); [["Vendeur"], [seller.name], [seller.legal_form], [seller.address],
      [seller.siret ? "SIRET : " + seller.siret : null], [seller.vat_number ? "N° TVA : " + seller.vat_number : null]]
      .forEach(function (x) { if (x[0]) { left.appendChild(el("p", x[0])); } });
    var right = el("div"); [["Client"], [c.buyer_name], [c.buyer_address], ["Dossier : " + doc.household_reference]]
      .forEach(function (x) { if (x[0]) { right.appendChild(el("p", x[0])); } });
    parties.appendChild(left); parties.appendChild(right); s.appendChild(parties);
    s.appendChild(el("h2", "Articles"));
    var head = vatShown ? ["Désignation", "Qté", "Prix unitaire HT", "Total HT", "TVA", "Total TTC"]
                        : ["Désignation", "Qté", "Prix unitaire", "Total"];
    s.appendChild(table(head, c.lines.map(function (l) {
      var what = l.description + (l.asset_tag ? " — N° d'inventaire : " + l.asset_tag : "") +
        (l.serial_number ? " — N° de série : " + l.serial_number : "");
      return vatShown ? [what, l.quantity, { text: unitPriceHt(l), cls: "amount" }, { text: euros(l.total_ht), cls: "amount" },
                         { text: euros(l.vat), cls: "amount" }, { text: euros(l.total_ttc), cls: "amount" }]
                      : [what, l.quantity, { text: euros(l.unit_price_ttc), cls: "amount" }, { text: euros(l.total_ttc), cls: "amount" }];
    })));
    if (vatShown) {
      s.appendChild(el("p", "Total HT : " + euros(c.total_ht)));
      s.appendChild(el("p", "TVA (" + (doc.vat_rate || "") + ") : " + euros(c.vat)));
      s.appendChild(el("p", "Total TTC : " + euros(c.total_ttc), "strong"));
    } else {
      s.appendChild(el("p", "Total : " + euros(c.total_ttc), "strong"));
    }
    if (doc.vat_mention) { s.appendChild(el("p", doc.vat_mention)); }
    s.appendChild(el("h2", "Règlement"));
    c.payments.forEach(function (p) { s.appendChild(el("p", (doc.methods[p.method] || p.method) + " : " + euros(p.amount))); });
    s.appendChild(el("p", "Montant payé : " + euros(c.amount_paid), "strong"));
    s.appendChild(el("h2", "Votre aide solidaire"));
    s.appendChild(el("p", "Valeur de référence de l'appareil reconditionné : " + euros(c.reference_value)));
    s.appendChild(el("p", "Aide solidaire du programme : " + euros(c.aide_solidaire)));
    if (c.workshop) {
      var w = c.workshop;
      s.appendChild(el("h2", "Atelier de prise en main — " + w.topic));
      s.appendChild(el("p", "Date : " + w.date + ", de " + w.start + " à " + w.end));
      s.appendChild(el("p", "Lieu : " + [w.place, w.address, w.commune].filter(Boolean).join(", ")));
      s.appendChild(el("p", "Inscription : " + w.status));
    }
    s.appendChild(el("h2", "Garantie"));
    s.appendChild(el("p", doc.guarantee || GUARANTEE));
    if (doc.programme && doc.programme.contact) { s.appendChild(el("p", "Contact du programme : " + doc.programme.contact)); }
    s.appendChild(el("p", "Facture n° " + c.number));
    s.appendChild(el("p", "Empreinte SHA-256 : " + doc.hash, "fingerprint"));
    return s;
  }

  function sheetSection(doc) {
    var c = doc.content, programme = (doc.programme && doc.programme.name) || "Rekonekt";
    var s = el("section", null, "print-sheet");
    s.appendChild(el("h1", programme));
    s.appendChild(el("p", "Fiche de remise pour " + c.buyer_name, "strong"));
    s.appendChild(el("p", "Dossier " + doc.household_reference + " — remis le " + F.dateFr(F.parse(c.issued_at))));
    s.appendChild(el("h2", "Votre appareil"));
    s.appendChild(el("p", c.lines[0].description, "strong"));
    s.appendChild(el("p", "Numéro d'inventaire : " + c.lines[0].asset_tag + " (sur l'étiquette)."));
    var extras = c.lines.slice(1);
    s.appendChild(el("p", extras.length ? "Accessoires fournis :" : "Aucun accessoire fourni.", "strong"));
    var list = el("ul");
    extras.forEach(function (l) { list.appendChild(el("li", l.description + (l.quantity > 1 ? " × " + l.quantity : ""))); });
    s.appendChild(list);
    s.appendChild(el("h2", "Votre atelier de prise en main"));
    if (c.workshop) {
      var w = c.workshop;
      s.appendChild(el("p", "Thème : " + w.topic));
      s.appendChild(el("p", "Date : " + w.date));
      s.appendChild(el("p", "Heure : de " + w.start + " à " + w.end));
      s.appendChild(el("p", "Lieu : " + w.place));
      s.appendChild(el("p", "Adresse : " + [w.address, w.commune].filter(Boolean).join(", ")));
      s.appendChild(el("p", "Venez avec votre appareil et son chargeur."));
    } else {
      s.appendChild(el("p", "Un atelier vous aidera à bien utiliser votre appareil."));
      s.appendChild(el("p", "Nous vous appellerons pour fixer la date.", "strong"));
    }
    s.appendChild(el("h2", "Besoin d'aide ?"));
    if (doc.programme && doc.programme.contact) {
      s.appendChild(el("p", "Appelez ou écrivez à " + programme + " :"));
      s.appendChild(el("p", doc.programme.contact, "strong"));
    } else {
      s.appendChild(el("p", "Adressez-vous à " + programme + ", là où vous avez reçu votre appareil."));
    }
    s.appendChild(el("p", "Votre appareil est garanti 2 ans. S'il tombe en panne ou marche mal, prévenez-nous : " +
                          "il sera réparé ou remplacé, sans frais pour vous."));
    s.appendChild(el("p", doc.guarantee || GUARANTEE));
    s.appendChild(el("p", "Gardez bien votre facture n° " + c.number + " : elle sera demandée pour la garantie.", "strong"));
    return s;
  }

  // Fill the print area with the invoice then the handover sheet (it starts a new page).
  function fill(doc) {
    var area = document.getElementById("tour-print");
    area.textContent = "";
    area.appendChild(invoiceSection(doc));
    area.appendChild(sheetSection(doc));
  }

  function print(doc) { fill(doc); window.print(); }

  T.print = { fill: fill, print: print };
})(RkTour);
