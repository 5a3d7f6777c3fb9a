/* Suggestions for the fields that name a record by its code (a collection, a location, a site,
   an organisation, a commune…): as one types, the field's JSON endpoint (data-autocomplete, the
   app's own, with the list's permission) fills the field's <datalist>, which the browser shows
   under it (arrow keys to choose, Enter to take one). Without this script the field still works:
   the reference or code typed is what is searched. Fields added later (Flask-AppBuilder's search
   filters) are served too: the listener is on the document. */
(function () {
  "use strict";
  var waiting = new WeakMap();
  var asked = new WeakMap();
  var serial = 0;

  function listFor(input) {
    var id = input.getAttribute("list");
    var list = id ? document.getElementById(id) : null;
    if (!list) {
      serial += 1;
      list = document.createElement("datalist");
      list.id = "rk-suggestions-" + serial;
      document.body.appendChild(list);
      input.setAttribute("list", list.id);
    }
    return list;
  }

  function suggest(input) {
    var text = input.value.trim();
    if (!text || asked.get(input) === text) {
      return;
    }
    asked.set(input, text);
    var url = input.getAttribute("data-autocomplete") + "?q=" + encodeURIComponent(text);
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (answer) {
        if (!answer.ok) {
          asked.delete(input);   // refused or failed: the same text may be asked again
          return [];
        }
        return answer.json();
      })
      .then(function (rows) {
        if (input.value.trim() !== text) {
          return;           // typed on since: a newer answer comes
        }
        var list = listFor(input);
        list.textContent = "";
        rows.forEach(function (row) {
          var option = document.createElement("option");
          option.value = row.value;
          option.label = row.label;
          option.textContent = row.label;
          list.appendChild(option);
        });
      })
      .catch(function () { asked.delete(input); /* no suggestions: typing the code still works */ });
  }

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || !input.hasAttribute("data-autocomplete")) {
      return;
    }
    clearTimeout(waiting.get(input));
    waiting.set(input, setTimeout(function () { suggest(input); }, 150));
  });
}());
