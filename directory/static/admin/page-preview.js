// Adds a "Preview" button to the page editor: posts the Markdown body to the preview page.
(function () {
  var script = document.currentScript;
  var body = document.getElementById("body");
  if (!script || !body || !body.form) { return; }
  var button = document.createElement("button");
  button.type = "submit";
  button.className = "btn btn-secondary ml-2";
  button.textContent = script.getAttribute("data-label");
  button.setAttribute("formaction", script.getAttribute("data-preview-url"));
  button.setAttribute("formtarget", "_blank");
  var submit = body.form.querySelector("input[type=submit], button[type=submit]");
  (submit ? submit.parentNode : body.form).appendChild(button);
}());
