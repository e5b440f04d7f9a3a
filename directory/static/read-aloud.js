/* Read aloud with the browser's own speech synthesis (nothing leaves the device through us).
   The controls are in the page but hidden; they show only where speechSynthesis exists.
   The stop control stays visible while reading; leaving the page stops the voice. */
(function () {
  "use strict";
  var box = document.getElementById("read-aloud");
  var synth = window.speechSynthesis;
  if (!box || !synth || !window.SpeechSynthesisUtterance) { return; }
  var target = document.getElementById(box.getAttribute("data-target"));
  var play = box.querySelector("[data-read]");
  var stop = box.querySelector("[data-stop]");
  var status = box.querySelector("[role=status]");
  if (!target || !play || !stop) { return; }
  box.hidden = false;
  function reset() {
    play.hidden = false; stop.hidden = true;
    if (status) { status.textContent = ""; }
  }
  play.addEventListener("click", function () {
    synth.cancel();
    var clone = target.cloneNode(true);
    Array.prototype.forEach.call(clone.querySelectorAll("[data-no-read], #read-aloud"),
      function (node) { node.remove(); });
    var utterance = new SpeechSynthesisUtterance(clone.textContent.replace(/\s+/g, " ").trim());
    utterance.lang = document.documentElement.lang || "en";
    utterance.onend = reset;
    utterance.onerror = reset;
    play.hidden = true; stop.hidden = false;
    if (status) { status.textContent = stop.getAttribute("data-reading") || ""; }
    synth.speak(utterance);
    stop.focus();
  });
  stop.addEventListener("click", function () { synth.cancel(); reset(); play.focus(); });
  window.addEventListener("pagehide", function () { synth.cancel(); });
}());
