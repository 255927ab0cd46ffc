/* jangkau report map: draws every layer of the embedded data document (jangkau-data) with
   Leaflet, generically by role and geometry type. No network access. */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("jangkau-data").textContent);
  var SEQ = ["#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"];
  var CAT = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
             "#bcbd22", "#17becf"];
  var NODATA = "#d9d9d9";

  var map = L.map("map", {zoomSnap: 0.25, attributionControl: false});
  L.control.scale({imperial: false, maxWidth: 160}).addTo(map);
  var panes = [["zones", 380], ["areas", 400], ["outlines", 420], ["lines", 430], ["pts", 450], ["labels", 460]];
  panes.forEach(function (p) { map.createPane(p[0]).style.zIndex = p[1]; });
  map.getPane("labels").style.pointerEvents = "none";

  function fmt(v) {
    if (v === null || v === undefined) { return "—"; }
    if (typeof v === "boolean") { return v ? "yes" : "no"; }
    if (typeof v !== "number") { return String(v); }
    var a = Math.abs(v);
    if (a >= 1000) { return v.toLocaleString("en-US", {maximumFractionDigits: 0}); }
    if (a >= 10) { return v.toLocaleString("en-US", {maximumFractionDigits: 1}); }
    if (Number.isInteger(v)) { return String(v); }
    return v.toLocaleString("en-US", {maximumFractionDigits: 3});
  }
  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;"}[c];
    });
  }

  // ---------------------------------------------------------------- layers
  var state = {layers: {}, bases: {}, overlays: {}, base: null, column: D.default_column};
  var catColours = {};
  function catColour(v) {
    var k = String(v);
    if (!(k in catColours)) { catColours[k] = CAT[Object.keys(catColours).length % CAT.length]; }
    return catColours[k];
  }

  function props(L_, i) {
    var o = {};
    L_.columns.forEach(function (c, j) { o[c] = L_.rows[i][j]; });
    return o;
  }

  function ranks(L_) {
    // rank of each feature per numeric column (1 = highest), ties share the best rank
    var r = {};
    L_.numeric.forEach(function (c) {
      var j = L_.columns.indexOf(c);
      var vals = L_.rows.map(function (row) { return row[j]; }).filter(function (v) { return v !== null; });
      vals.sort(function (a, b) { return b - a; });
      r[c] = {sorted: vals, n: vals.length};
    });
    return r;
  }
  function rankOf(R, v) {
    if (v === null || v === undefined) { return null; }
    var lo = 0, hi = R.sorted.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (R.sorted[mid] > v) { lo = mid + 1; } else { hi = mid; } }
    return lo + 1;
  }

  function popupHtml(L_, i) {
    var p = props(L_, i);
    var name = p.name || p.title || p.code || L_.title;
    var head = "<b>" + esc(name) + "</b>" + (p.code && p.name ? " <small>" + esc(p.code) + "</small>" : "") +
      "<br><small>" + esc(L_.title) + (L_.role === "zones" ? " · rank among " + L_.rows.length +
      " zones, 1 = highest" : "") + "</small>";
    var rows = L_.columns.filter(function (c) { return c !== "name" && p[c] !== null && p[c] !== ""; }).map(function (c) {
      var rk = "";
      if (L_.role === "zones" && L_.ranks[c] && L_.ranks[c].n > 1) {
        rk = rankOf(L_.ranks[c], p[c]) + " / " + L_.ranks[c].n;
      }
      return "<tr><th>" + esc(c.replace(/_/g, " ")) + "</th><td>" + esc(fmt(p[c])) + "</td><td class=\"rk\">" + rk + "</td></tr>";
    });
    var hdr = L_.role === "zones" ? "<tr><th></th><th>value</th><th title=\"1 = highest\">rank</th></tr>" : "";
    return "<div class=\"pop\">" + head + "<table>" + hdr + rows.join("") + "</table></div>";
  }

  // choropleth classes of the values shown: one class per value when there are few distinct
  // values, else quantile classes; never a range that no zone has
  function classes(values) {
    var v = values.filter(function (x) { return x !== null && x !== undefined; }).sort(function (a, b) { return a - b; });
    var uniq = v.filter(function (x, i) { return i === 0 || x !== v[i - 1]; });
    if (uniq.length === 0) { return []; }
    if (uniq.length <= SEQ.length) {
      var cols = uniq.length === 1 ? [SEQ[2]] : uniq.map(function (_, i) {
        return SEQ[Math.round(i * (SEQ.length - 1) / (uniq.length - 1))]; });
      return uniq.map(function (u, i) {
        return {lo: u, hi: u, colour: cols[i], n: v.filter(function (x) { return x === u; }).length};
      });
    }
    var out = [], start = 0;
    for (var k = 1; k <= SEQ.length && start < v.length; k++) {
      var end = k === SEQ.length ? v.length : Math.max(start + 1, Math.round(k * v.length / SEQ.length));
      while (end < v.length && v[end] === v[end - 1]) { end++; }
      out.push({lo: v[start], hi: v[end - 1], n: end - start});
      start = end;
    }
    out.forEach(function (c, i) {
      c.colour = SEQ[out.length === 1 ? 2 : Math.round(i * (SEQ.length - 1) / (out.length - 1))];
    });
    return out;
  }
  function colourOf(cls, v) {
    if (v === null || v === undefined) { return NODATA; }
    for (var i = 0; i < cls.length; i++) { if (v <= cls[i].hi) { return cls[i].colour; } }
    return cls.length ? cls[cls.length - 1].colour : NODATA;
  }

  function zoneStyle(L_, i) {
    var c = state.column, j = L_.columns.indexOf(c);
    var v = j >= 0 ? L_.rows[i][j] : null;
    return {pane: "zones", color: "#ffffff", weight: L_.level === "desa" ? 0.6 : 1.2, fillOpacity: 0.78,
            fillColor: j >= 0 ? colourOf(L_.cls, v) : "#eeeeee"};
  }

  function styleFor(L_, i) {
    if (L_.kind === "point") { return pointStyle(L_, i); }
    var p = L_.category ? L_.rows[i][L_.columns.indexOf(L_.category)] : null;
    switch (L_.role) {
      case "zones": return zoneStyle(L_, i);
      case "boundary": return {pane: "outlines", color: "#222222", weight: 2.2, fill: false};
      case "pilots":
        var sel = L_.columns.indexOf("selected");
        var on = sel >= 0 && L_.rows[i][sel];
        return on ? {pane: "outlines", color: "#000000", weight: 3.5, dashArray: null, fill: false}
          : {pane: "outlines", weight: 0, fill: false, interactive: false};
      case "gaps": return {pane: "areas", color: "#b2182b", weight: 0.5, fillColor: "#d6604d", fillOpacity: 0.55};
      case "isochrones":
        return {pane: "areas", color: "#08519c", weight: 1, fillColor: p !== null ? catColour(p) : "#6baed6",
                fillOpacity: 0.35};
      case "lines": return {pane: "lines", color: p !== null ? catColour(p) : "#00429d", weight: 2.5, dashArray: "6 4"};
      default:
        if (L_.kind === "line") { return {pane: "lines", color: p !== null ? catColour(p) : "#00429d", weight: 2.5}; }
        return {pane: "areas", color: p !== null ? catColour(p) : "#555555", weight: 1.5,
                fillColor: p !== null ? catColour(p) : "#999999", fillOpacity: 0.35};
    }
  }
  function pointStyle(L_, i) {
    var p = L_.category ? L_.rows[i][L_.columns.indexOf(L_.category)] : null;
    if (L_.role === "sites") {
      return {pane: "pts", radius: 8, color: "#000000", weight: 2, fillColor: "#ffd400", fillOpacity: 1};
    }
    return {pane: "pts", radius: 4.5, color: "#ffffff", weight: 1, fillColor: p !== null ? catColour(p) : "#e6194b",
            fillOpacity: 0.95};
  }

  function build(L_, keep) {
    var feats = [];
    L_.rows.forEach(function (_, i) {
      if (keep && !keep(i)) { return; }
      var gi = L_.g[i];
      if (gi < 0) { return; }
      feats.push({type: "Feature", id: i, properties: {}, geometry: D.geoms[gi]});
    });
    var group = L.geoJSON({type: "FeatureCollection", features: feats}, {
      style: function (f) { return styleFor(L_, f.id); },
      pointToLayer: function (f, ll) { return L.circleMarker(ll, pointStyle(L_, f.id)); },
      onEachFeature: function (f, lyr) {
        L_.sub[f.id] = lyr;
        lyr.bindPopup(function () { return popupHtml(L_, f.id); }, {maxWidth: 380, minWidth: 380, maxHeight: 340});
      }
    });
    return group;
  }

  var control = L.control.layers(null, null, {collapsed: false, position: "topright"});
  var firstBase = null;
  D.layers.forEach(function (L_) {
    L_.sub = {};
    L_.cls = [];
    L_.ranks = ranks(L_);
    state.layers[L_.id] = L_;
    if (L_.role === "zones") {
      L_.group = build(L_);
      state.bases[L_.id] = L_.group;
      control.addBaseLayer(L_.group, L_.title + " (" + L_.rows.length + ")");
      if (L_.visible && !firstBase) { firstBase = L_; }
    } else if (L_.role === "facilities" && L_.category) {
      // one switchable layer per category (facility type)
      var j = L_.columns.indexOf(L_.category);
      var cats = [];
      L_.rows.forEach(function (r) { if (cats.indexOf(r[j]) < 0) { cats.push(r[j]); } });
      cats.sort();
      L_.groups = {};
      cats.forEach(function (c) {
        var g = build(L_, function (i) { return L_.rows[i][j] === c; });
        var n = L_.rows.filter(function (r) { return r[j] === c; }).length;
        L_.groups[c] = g;
        g.jangkauLayer = L_.id;
        control.addOverlay(g, "<span class=\"sw\" style=\"background:" + catColour(c) + "\"></span>" +
                           esc(L_.title) + ": " + esc(c) + " (" + n + ")");
        if (L_.visible) { g.addTo(map); }
      });
    } else {
      L_.group = build(L_);
      L_.group.jangkauLayer = L_.id;
      var label = L_.title + " (" + L_.rows.length + ")";
      if (L_.role === "gaps") { label = "<span class=\"sw\" style=\"background:#d6604d\"></span>" + esc(label); }
      else if (L_.role === "sites") { label = "<span class=\"sw round\" style=\"background:#ffd400\"></span>" + esc(label); }
      else { label = esc(label); }
      control.addOverlay(L_.group, label);
      if (L_.visible) { L_.group.addTo(map); }
    }
    if (L_.labels) {
      var lc = L_.columns.indexOf(L_.label_column);
      var lg = L.layerGroup();
      L_.labels.forEach(function (ll, i) {
        var t = L_.rows[i][lc];
        if (t === null) { return; }
        L.marker(ll, {pane: "labels", interactive: false, keyboard: false,
                      icon: L.divIcon({className: "lbl lbl-" + L_.level, html: esc(t), iconSize: null})}).addTo(lg);
      });
      control.addOverlay(lg, "Labels: " + esc(L_.title.toLowerCase()) + " names");
      if (L_.level === "kecamatan") { lg.addTo(map); }
      L_.labelGroup = lg;
    }
  });
  if (!firstBase) {
    firstBase = D.layers.filter(function (x) { return x.role === "zones"; })[0] || null;
  }
  control.addTo(map);

  // ---------------------------------------------------------------- indicator picker + legend
  var picker = L.control({position: "topleft"});
  picker.onAdd = function () {
    var div = L.DomUtil.create("div", "leaflet-bar picker");
    div.innerHTML = "<label for=\"indicator\">Colour zones by</label><select id=\"indicator\"></select>";
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  };
  picker.addTo(map);
  var select = document.getElementById("indicator");

  var legend = L.control({position: "bottomright"});
  legend.onAdd = function () {
    var div = L.DomUtil.create("div", "legend");
    div.id = "legend";
    L.DomEvent.disableScrollPropagation(div);
    return div;
  };
  legend.addTo(map);

  function fillPicker() {
    var B = state.base;
    select.innerHTML = "";
    if (!B) { return; }
    B.numeric.forEach(function (c) {
      var o = document.createElement("option");
      o.value = c; o.textContent = c.replace(/_/g, " ");
      select.appendChild(o);
    });
    if (B.numeric.indexOf(state.column) < 0) { state.column = B.numeric[0] || null; }
    select.value = state.column || "";
  }
  function restyle() {
    var B = state.base;
    if (!B) { return; }
    var j = B.columns.indexOf(state.column);
    B.cls = classes(j >= 0 ? B.rows.map(function (r) { return r[j]; }) : []);
    B.group.setStyle(function (f) { return zoneStyle(B, f.id); });
    drawLegend();
  }
  function drawLegend() {
    var B = state.base, h = [];
    if (B && state.column) {
      var j = B.columns.indexOf(state.column);
      var nodata = B.rows.filter(function (r) { return r[j] === null; }).length;
      h.push("<div class=\"lt\">" + esc(B.title) + ": " + esc(state.column.replace(/_/g, " ")) + "</div>");
      if (B.cls.length === 1 && B.cls[0].lo === B.cls[0].hi) {
        h.push("<div><span class=\"sw\" style=\"background:" + B.cls[0].colour + "\"></span>all " + B.cls[0].n +
               " zones: " + esc(fmt(B.cls[0].lo)) + "</div>");
      } else {
        B.cls.forEach(function (c) {
          var range = c.lo === c.hi ? fmt(c.lo) : fmt(c.lo) + " – " + fmt(c.hi);
          h.push("<div><span class=\"sw\" style=\"background:" + c.colour + "\"></span>" + esc(range) +
                 " <small>(" + c.n + ")</small></div>");
        });
      }
      if (nodata) {
        h.push("<div><span class=\"sw\" style=\"background:" + NODATA + "\"></span>unknown <small>(" + nodata +
               ")</small></div>");
      }
    }
    // categories of the visible overlays
    D.layers.forEach(function (L_) {
      if (!L_.category || L_.role === "zones" || L_.role === "facilities") { return; }
      if (!L_.group || !map.hasLayer(L_.group)) { return; }
      var j = L_.columns.indexOf(L_.category), seen = [];
      L_.rows.forEach(function (r) { if (seen.indexOf(r[j]) < 0 && r[j] !== null) { seen.push(r[j]); } });
      seen.sort(function (a, b) { return a < b ? -1 : a > b ? 1 : 0; });
      h.push("<div class=\"lt\">" + esc(L_.title) + " (" + esc(L_.category) + ")</div>");
      seen.forEach(function (c) {
        h.push("<div><span class=\"sw\" style=\"background:" + catColour(c) + "\"></span>" + esc(fmt(c)) + "</div>");
      });
    });
    document.getElementById("legend").innerHTML = h.join("");
  }
  select.addEventListener("change", function () { state.column = select.value; restyle(); });

  function setBase(L_) {
    if (state.base === L_) { return; }
    if (state.base && map.hasLayer(state.base.group)) { map.removeLayer(state.base.group); }
    state.base = L_;
    if (!map.hasLayer(L_.group)) { map.addLayer(L_.group); }
    fillPicker();
    restyle();
  }
  map.on("baselayerchange", function (e) {
    var L_ = D.layers.filter(function (x) { return x.group === e.layer; })[0];
    if (L_) { state.base = null; setBase(L_); }
  });
  map.on("overlayadd overlayremove", drawLegend);

  // ---------------------------------------------------------------- extent
  var all = L.featureGroup();
  D.layers.forEach(function (L_) {
    if (L_.group && (L_.role === "zones" || L_.role === "boundary")) { all.addLayer(L_.group); }
  });
  if (firstBase) { setBase(firstBase); }
  var b = all.getLayers().length ? all.getBounds() : null;
  if (!b || !b.isValid()) {
    var any = L.featureGroup(D.layers.map(function (x) {
      return x.group || L.featureGroup(Object.keys(x.groups || {}).map(function (k) { return x.groups[k]; }));
    }));
    b = any.getBounds();
  }
  if (b && b.isValid()) { map.fitBounds(b, {padding: [8, 8]}); } else { map.setView([0, 0], 2); }

  // ---------------------------------------------------------------- tables
  function findCode(code, prefer) {
    var order = D.layers.filter(function (x) { return x.role === "zones"; });
    if (prefer && state.layers[prefer] && state.layers[prefer].role === "zones") {
      order.unshift(state.layers[prefer]);
    }
    for (var k = 0; k < order.length; k++) {
      var j = order[k].columns.indexOf("code");
      if (j < 0) { continue; }
      for (var i = 0; i < order[k].rows.length; i++) {
        if (String(order[k].rows[i][j]) === code) { return [order[k], i]; }
      }
    }
    return null;
  }
  function zoomTo(L_, i) {
    if (L_.role === "zones") { setBase(L_); }
    var lyr = L_.sub[i];
    if (!lyr) { return false; }
    if (L_.groups) {
      var c = L_.rows[i][L_.columns.indexOf(L_.category)];
      if (!map.hasLayer(L_.groups[c])) { map.addLayer(L_.groups[c]); }
    } else if (L_.group && !map.hasLayer(L_.group)) { map.addLayer(L_.group); }
    if (lyr.getBounds) { map.fitBounds(lyr.getBounds(), {padding: [30, 30], maxZoom: 15}); }
    else { map.setView(lyr.getLatLng(), Math.max(map.getZoom(), 14)); }
    lyr.openPopup();
    return true;
  }
  function sortTable(table, col, th) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var asc = th.getAttribute("aria-sort") !== "ascending";
    rows.sort(function (a, b) {
      var x = a.cells[col], y = b.cells[col];
      var xv = x.getAttribute("data-v"), yv = y.getAttribute("data-v");
      var r;
      if (xv !== null && yv !== null) { r = parseFloat(xv) - parseFloat(yv); }
      else if (xv !== null || yv !== null) { r = xv === null ? 1 : -1; return r; }
      else { r = x.textContent.localeCompare(y.textContent); }
      return asc ? r : -r;
    });
    Array.prototype.forEach.call(th.parentNode.cells, function (c) { c.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", asc ? "ascending" : "descending");
    rows.forEach(function (r) { body.appendChild(r); });
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      th.addEventListener("click", function () { sortTable(table, col, th); });
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") { sortTable(table, col, th); } });
    });
    var lid = table.getAttribute("data-layer");
    Array.prototype.forEach.call(table.tBodies[0].rows, function (tr) {
      var code = tr.getAttribute("data-code"), fi = tr.getAttribute("data-i");
      var target = null;
      if (code !== null) { target = findCode(code, lid); }
      if (!target && fi !== null && lid && state.layers[lid]) { target = [state.layers[lid], parseInt(fi, 10)]; }
      if (!target) { return; }
      tr.classList.add("linked");
      tr.title = "show on the map";
      tr.addEventListener("click", function () {
        document.getElementById("map").scrollIntoView({block: "center"});
        zoomTo(target[0], target[1]);
      });
    });
  });

  window.addEventListener("beforeprint", function () {
    Array.prototype.forEach.call(document.querySelectorAll("details"), function (d) { d.open = true; });
  });

  // for tests and notebooks: what is drawn
  window.jangkau = {
    map: map,
    layers: state.layers,
    count: function (id) {
      var L_ = state.layers[id];
      return L_ ? Object.keys(L_.sub).length : -1;
    },
    visible: function (id) {
      var L_ = state.layers[id];
      if (!L_) { return false; }
      if (L_.groups) { return Object.keys(L_.groups).some(function (k) { return map.hasLayer(L_.groups[k]); }); }
      return map.hasLayer(L_.group);
    },
    base: function () { return state.base ? state.base.id : null; },
    column: function () { return state.column; },
    setColumn: function (c) { select.value = c; state.column = c; restyle(); },
    zoomTo: function (id, i) { return zoomTo(state.layers[id], i); },
    ready: true
  };
})();
