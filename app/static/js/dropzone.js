/* Drag and drop a wiping report on the collection page: the dropped file goes into the form's
 * file field and the form is sent, as if it had been chosen with the button. */
(function () {
  "use strict";
  var form = document.getElementById("report-form");
  if (!form) { return; }
  var input = form.querySelector('input[type="file"]');
  ["dragenter", "dragover"].forEach(function (name) {
    form.addEventListener(name, function (event) { event.preventDefault(); form.classList.add("rk-drop-active"); });
  });
  ["dragleave", "drop"].forEach(function (name) {
    form.addEventListener(name, function () { form.classList.remove("rk-drop-active"); });
  });
  form.addEventListener("drop", function (event) {
    event.preventDefault();
    if (!event.dataTransfer || !event.dataTransfer.files.length) { return; }
    input.files = event.dataTransfer.files;
    form.submit();
  });
})();
