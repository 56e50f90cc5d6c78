// The portal's search: the same folding as saihan's Directory.search (normalize_for_search):
// NFKC, katakana to hiragana, lower case, white space runs to one space; every word of the
// query must occur in a service's key. Filters narrow by need, municipality, audience, channel.
// Results are ranked: services whose names hold every word first, then those whose names
// hold some of them, then the rest (a match in the description or the agency's name only);
// by id within a rank.
(function () {
  "use strict";
  var index = window.SAIHAN_INDEX;
  var script = document.currentScript;
  var lang = script.dataset.lang;
  var found_word = script.dataset.results;
  var PAGE = 50;
  function fold(text) {
    var s = text.normalize("NFKC");
    var out = "";
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      out += (c >= 0x30A1 && c <= 0x30F6) ? String.fromCharCode(c - 0x60) : s.charAt(i);
    }
    return out.toLowerCase().split(/\s+/).filter(function (w) { return w; });
  }
  var services = index.services;
  var muniPos = {};
  index.municipalities.forEach(function (code, i) { muniPos[code] = i; });
  var needSets = {};
  function byNeed(code) {
    if (!needSets[code]) { needSets[code] = new Set(index.needs[code] || []); }
    return needSets[code];
  }
  var form = document.getElementById("search-form");
  var q = document.getElementById("q");
  var need = document.getElementById("need");
  var muni = document.getElementById("municipality");
  var aud = document.getElementById("audience");
  var chan = document.getElementById("channel");
  var list = document.getElementById("results");
  var count = document.getElementById("result-count");
  var more = document.getElementById("more");
  var hits = [], shown = 0;
  function rank(s, words) {
    var inName = 0;
    for (var w = 0; w < words.length; w++) {
      if (s.f.indexOf(words[w]) >= 0) { inName++; }
    }
    return inName === words.length ? 0 : inName > 0 ? 1 : 2;
  }
  function search() {
    var words = fold(q.value);
    var needSet = need.value ? byNeed(need.value) : null;
    var m = muni.value ? muniPos[muni.value] : -1;
    var a = aud.value ? index.audiences.indexOf(aud.value) : -1;
    var c = chan.value ? index.channels.indexOf(chan.value) : -1;
    hits = [];
    for (var i = 0; i < services.length; i++) {
      var s = services[i];
      if (needSet && !needSet.has(i)) { continue; }
      if (m >= 0 && s.m !== 1 && s.m.indexOf(m) < 0) { continue; }
      if (a >= 0 && s.u.indexOf(a) < 0) { continue; }
      if (c >= 0 && s.c.indexOf(c) < 0) { continue; }
      var ok = true;
      for (var w = 0; w < words.length; w++) {
        if (s.k.indexOf(words[w]) < 0) { ok = false; break; }
      }
      if (ok) { s.rank = rank(s, words); hits.push(s); }
    }
    hits.sort(function (x, y) {
      if (x.rank !== y.rank) { return x.rank - y.rank; }
      return x.id < y.id ? -1 : x.id > y.id ? 1 : 0;
    });
    list.textContent = "";
    shown = 0;
    show();
    count.textContent = lang === "ja" ? hits.length + found_word : hits.length + " " + found_word;
  }
  function show() {
    var end = Math.min(hits.length, shown + PAGE);
    var l = lang === "ja" ? 0 : 1;
    for (var i = shown; i < end; i++) {
      var s = hits[i];
      var li = document.createElement("li");
      li.dataset.id = s.id;
      var link = document.createElement("a");
      link.href = "services/" + s.id + ".html";
      link.textContent = s.n[l];
      li.appendChild(link);
      var agency = document.createElement("span");
      agency.className = "agency";
      agency.textContent = " — " + s.a[l];
      li.appendChild(agency);
      list.appendChild(li);
    }
    shown = end;
    more.hidden = shown >= hits.length;
  }
  var params = new URLSearchParams(window.location.search);
  q.value = params.get("q") || "";
  need.value = params.get("need") || "";
  muni.value = params.get("municipality") || "";
  aud.value = params.get("audience") || "";
  chan.value = params.get("channel") || "";
  form.addEventListener("submit", function (event) { event.preventDefault(); search(); });
  [q].forEach(function (el) { el.addEventListener("input", search); });
  [need, muni, aud, chan].forEach(function (el) { el.addEventListener("change", search); });
  more.addEventListener("click", show);
  search();
})();
