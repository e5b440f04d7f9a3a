/* Support Directory search widget (docs: /api/v1/docs). One tag on a partner page:
     <script src="https://DIRECTORY/widget.js" data-partner="KEY" async></script>
   Shadow DOM, our API only, no cookie or storage, a quick exit. Optional: data-locale,
   data-category, data-region, data-color, data-target. */
(function () {
  "use strict";
  var script = document.currentScript ||
    document.querySelector("script[data-partner][src*='widget.js']");
  if (!script || script.getAttribute("data-sd-done")) { return; }
  script.setAttribute("data-sd-done", "1");
  var base = new URL(script.src, location.href).origin;
  var data = script.dataset;
  var key = data.partner || "";
  var COLOR = /^#[0-9a-fA-F]{3,8}$/;

  var CSS = ":host{all:initial;display:block;font:16px/1.45 system-ui,sans-serif;color:#1d1d1f}" +
    "*{box-sizing:border-box}.w{border:1px solid #ccc;border-radius:8px;padding:12px;background:#fff}" +
    ".top{display:flex;justify-content:space-between;align-items:center;gap:8px;margin-bottom:8px}" +
    "h2{font-size:1.05em;margin:0}form{display:flex;gap:6px;flex-wrap:wrap}" +
    "label{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}" +
    "input{flex:1 1 12em;font:inherit;padding:8px;border:1px solid #888;border-radius:6px}" +
    "button,.exit{font:inherit;padding:8px 12px;border-radius:6px;border:0;cursor:pointer;" +
    "background:var(--sd-color,#5b2a86);color:#fff;text-decoration:none}" +
    ".exit{background:#b00020;font-weight:700}ol{list-style:none;padding:0;margin:8px 0 0}" +
    "li{padding:8px 0;border-top:1px solid #eee}li a{color:var(--sd-color,#5b2a86);font-weight:600}" +
    ".m{font-size:.9em;color:#555}.c{display:inline-block;font-size:.8em;background:#fde7e9;" +
    "color:#8a0015;border-radius:4px;padding:0 4px;margin-left:4px}mark{background:#fff3a0}" +
    "[role=status]{min-height:1.4em;font-size:.9em;margin-top:6px}.o{color:#1d6b2f}" +
    ".n{white-space:nowrap}.r{font-size:.85em;margin-top:2px}.all{margin-top:8px}.all button{width:100%}" +
    "a:focus,button:focus,input:focus{outline:3px solid #ffbf47;outline-offset:1px}";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var name in attrs || {}) { node.setAttribute(name, attrs[name]); }
    if (text != null) { node.textContent = text; }
    return node;
  }

  /* The API's summary is escaped text with <mark> around matches: rebuild it as text nodes. */
  function summary(html) {
    var out = document.createDocumentFragment();
    var entities = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": "\"", "&#x27;": "'" };
    html.split(/(<mark>|<\/mark>)/).reduce(function (marked, part) {
      if (part === "<mark>") { return true; }
      if (part === "</mark>") { return false; }
      var text = part.replace(/&(amp|lt|gt|quot|#x27);/g, function (e) { return entities[e]; });
      out.appendChild(marked ? el("mark", {}, text) : document.createTextNode(text));
      return marked;
    }, false);
    return out;
  }

  function start(config) {
    var host = el("div", { "data-support-directory": "" });
    var target = data.target && document.getElementById(data.target);
    if (target) { target.appendChild(host); } else { script.parentNode.insertBefore(host, script.nextSibling); }
    var root = host.attachShadow({ mode: "open" });
    if (root.adoptedStyleSheets !== undefined && window.CSSStyleSheet) {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } else {
      root.appendChild(el("style", {}, CSS));
    }
    var color = data.color || (config.theme && config.theme.color) || "";
    if (COLOR.test(color)) { host.style.setProperty("--sd-color", color); }
    var t = config.labels;
    var locale = config.locale;
    var box = el("div", { "class": "w", lang: config.html_lang, dir: config.dir });
    var top = el("div", { "class": "top" });
    top.appendChild(el("h2", {}, t.title));
    var exit = el("a", { "class": "exit", href: config.exit_url, target: "_top", rel: "noreferrer" },
      t.exit);
    exit.addEventListener("click", function (event) {
      event.preventDefault();
      box.hidden = true;
      try { window.top.location.replace(config.exit_url); } catch (e) { location.replace(config.exit_url); }
    });
    top.appendChild(exit);
    box.appendChild(top);
    var form = el("form", { role: "search" });
    var id = "sd-q";
    form.appendChild(el("label", { "for": id }, t.label));
    var input = el("input", { id: id, type: "search", name: "q", autocomplete: "off",
      maxlength: "200", placeholder: t.placeholder });
    form.appendChild(input);
    form.appendChild(el("button", { type: "submit" }, t.search));
    box.appendChild(form);
    var status = el("div", { role: "status", "aria-live": "polite" });
    var list = el("ol");
    /* "See all N results": the same search on our site, POSTed (words stay out of URLs). */
    var all = el("form", { "class": "all", method: "post", target: "_top",
      action: base + "/" + locale + "/search" });
    all.hidden = true;
    box.appendChild(status);
    box.appendChild(list);
    box.appendChild(all);
    root.appendChild(box);
    function field(name, value) { all.appendChild(el("input", { type: "hidden", name: name, value: value })); }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      status.textContent = t.searching;
      var body = { q: input.value, locale: locale, per_page: 10, facets: false };
      if (config.category) { body.category = [config.category]; }
      if (config.region) { body.region = [config.region]; }
      fetch(base + "/api/v1/search", {
        method: "POST", body: JSON.stringify(body), credentials: "omit", cache: "no-store",
        referrerPolicy: "no-referrer", headers: { "Content-Type": "application/json" }
      }).then(function (response) {
        return response.json().then(function (json) { return [response.ok, json]; });
      }).then(function (pair) {
        if (!pair[0]) { throw new Error(pair[1].message || t.error); }
        show(pair[1]);
      }).catch(function (error) {
        list.textContent = "";
        status.textContent = error && error.message ? error.message : t.error;
      });
    });

    function show(results) {
      list.textContent = "";
      all.textContent = "";
      var shown = results.contents.length, total = results.total_items;
      status.textContent = !total ? t.none : shown < total ?
        t.showing.replace("%(shown)s", shown).replace("%(n)s", total) :
        t.found.replace("%(n)s", total);
      all.hidden = shown >= total;
      if (shown < total) {
        field("q", input.value);
        if (config.category) { field("category", config.category); }
        if (config.region) { field("region", config.region); }
        all.appendChild(el("button", { type: "submit" }, t.see_all.replace("%(n)s", total)));
      }
      results.contents.forEach(function (hit) {
        var item = el("li");
        var link = el("a", { href: hit.url, target: "_top", rel: "noreferrer", lang: hit.name_locale, dir: "auto" },
          hit.name);
        item.appendChild(link);
        if (hit.crisis_line) { item.appendChild(el("span", { "class": "c" }, t.crisis)); }
        var state = hit.status == "temporarily closed" ? t.shut : hit.open_24_7 ? t.open_24_7 : hit.open_now === true ? t.open_now :
          hit.open_now === false ? t.closed : "";
        if (state) { item.appendChild(el("span", { "class": "c" + (hit.open_now ? " o" : "") }, state)); }
        if (hit.capacity && t[hit.capacity.state]) { item.appendChild(el("span", { "class": "c" }, t[hit.capacity.state])); }
        var places = (hit.areas || []).concat(hit.cities || []);
        var meta = [hit.organization].concat(places.slice(0, 2)).filter(Boolean).join(", ");
        if (meta) { var m = el("div", { "class": "m" }); m.appendChild(el("bdi", {}, meta)); item.appendChild(m); }
        var text = el("div", { lang: hit.summary_locale });
        text.appendChild(summary(hit.summary || ""));
        item.appendChild(text);
        if (hit.phone && hit.phone.number) {
          var phone = el("div", { "class": "m" });
          var call = el("a", { href: "tel:" + hit.phone.number.replace(/[^0-9+]/g, "") });
          call.appendChild(el("bdi", { "class": "n", dir: "ltr" }, hit.phone.number));
          phone.appendChild(call);
          if (hit.phone.text_ok) { phone.appendChild(document.createTextNode(" " + t.text_ok)); }
          if (hit.phone.tty) { phone.appendChild(document.createTextNode(" " + t.tty)); }
          item.appendChild(phone);
        }
        if (t.report) { // "Something wrong?" opens our report form in a new tab
          var r = el("div", { "class": "r" });
          r.appendChild(el("a", { href: hit.url + "/report", target: "_blank",
            rel: "noreferrer", title: t.report_title }, t.report));
          item.appendChild(r);
        }
        list.appendChild(item);
      });
    }
  }

  var query = new URLSearchParams();
  ["locale", "category", "region"].forEach(function (name) {
    if (data[name]) { query.set(name, data[name]); }
  });
  fetch(base + "/widget/config/" + encodeURIComponent(key) + ".json?" + query.toString(), {
    credentials: "omit", referrerPolicy: "no-referrer"
  }).then(function (response) {
    if (!response.ok) { throw new Error("widget refused"); }
    return response.json();
  }).then(start).catch(function () { /* unknown partner or origin: show nothing */ });
}());
