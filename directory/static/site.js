/* Progressive enhancement for the search page: on wide screens the filters sit beside the
   results, so their disclosure starts open. Without JavaScript the CSS shows them anyway. */
(function () {
  "use strict";
  var filters = document.getElementById("filters");
  if (!filters || !window.matchMedia) { return; }
  var wide = window.matchMedia("(min-width: 60rem)");
  function sync() { if (wide.matches) { filters.open = true; } }
  sync();
  if (wide.addEventListener) { wide.addEventListener("change", sync); }
}());
