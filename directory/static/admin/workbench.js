// Listing editor: ask before leaving a form with unsaved changes (submitting it never asks).
(function () {
  var form = document.getElementById("listing-form");
  if (!form) { return; }
  var changed = false;
  form.addEventListener("input", function () { changed = true; });
  form.addEventListener("change", function () { changed = true; });
  form.addEventListener("submit", function () { changed = false; });
  window.addEventListener("beforeunload", function (event) {
    if (!changed) { return; }
    event.preventDefault();
    event.returnValue = form.getAttribute("data-unsaved-warning") || "";
    return event.returnValue;
  });
})();
