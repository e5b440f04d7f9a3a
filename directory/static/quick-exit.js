/* Quick exit: hide the page at once, then leave through /exit (which asks the browser to clear
   site data) with location.replace, so Back does not return here. Shift pressed three times
   within two seconds does the same. Works as a plain link when JavaScript is off. */
(function () {
  "use strict";
  var link = document.getElementById("quick-exit");
  if (!link) { return; }
  function leave(event) {
    if (event) { event.preventDefault(); }
    document.documentElement.classList.add("cloaked");
    document.title = "";
    try { window.sessionStorage.clear(); window.localStorage.clear(); } catch (e) { /* blocked */ }
    window.location.replace(link.href);
  }
  link.addEventListener("click", leave);
  var presses = [];
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Shift" || event.repeat) { return; }
    var now = Date.now();
    presses = presses.filter(function (t) { return now - t < 2000; });
    presses.push(now);
    if (presses.length >= 3) { presses = []; leave(); }
  });
  /* Coming back through the back/forward cache: show the page again. */
  window.addEventListener("pageshow", function () {
    document.documentElement.classList.remove("cloaked");
  });
}());
