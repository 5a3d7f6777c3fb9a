/* The reception form (device registration). The page opens on the first field to type; after a
 * device is saved, the label's PDF link may hold the focus instead (no printer took the label):
 * Enter downloads it, then the focus goes to the next device's first field; any other key
 * typed there (a scanner's burst, a serial number) goes straight to that field. */
(function () {
  "use strict";
  var form = document.getElementById("device-add");
  var link = document.getElementById("label-pdf");
  if (!form || !link) { return; }
  var first = document.getElementById(form.dataset.firstField);
  if (!first) { return; }

  function toFirstField() { first.focus(); if (first.select) { first.select(); } }

  // The download goes on (moving the focus does not cancel the link); the next device is ready
  // at once, in the same event, so that nothing typed right after Enter is lost.
  link.addEventListener("click", toFirstField);
  link.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.preventDefault(); toFirstField(); return; }
    // A printable key: focus the field now, and the browser types the character into it.
    if (event.key.length === 1 && event.key !== " " && !event.ctrlKey && !event.altKey && !event.metaKey) {
      toFirstField();
    }
  });
  if (link.hasAttribute("autofocus") && document.activeElement !== link) { link.focus(); }
})();
