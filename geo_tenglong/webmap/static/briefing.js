/* geo-tenglong briefing map: draws the layers embedded as JSON, builds popups on click, and runs
 * the legend, the target panel and the search box. Every string that comes from the data is set
 * with textContent or as an attribute value, never as markup. ES5 on purpose: meeting-room
 * browsers can be old. A big county's parcels come as vector tiles instead (a layer with
 * "tiles"): a PMTiles archive that the tiles file beside the page hands over base64-encoded
 * (gtTileData), drawn by protomaps-leaflet, read through B64Source; popups then come from the
 * clicked tile feature's properties and the search from the file's index. */
(function (global) {
  "use strict";

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }

  function decodeFlat(a, s) {
    var out = new Array(a.length / 2), x = 0, y = 0, j = 0;
    for (var k = 0; k < a.length; k += 2) {
      x += a[k]; y += a[k + 1];
      out[j++] = [y / s, x / s];
    }
    return out;
  }

  function columnGetter(c) {
    if (!c) { return function () { return null; }; }
    if (c.d) {
      return function (r) { var k = c.i[r]; return (k === undefined || k < 0) ? null : c.d[k]; };
    }
    return function (r) { var v = c.v[r]; return v === undefined ? null : v; };
  }

  function Layer(d, base) {
    this.d = d;
    this.base = base || this;
    this.paths = new Array(d.n);
    this._getters = {};
  }
  Layer.prototype.row = function (i) { return this.d.ref ? this.d.rows[i] : i; };
  Layer.prototype.get = function (i, name) {
    var b = this.base, g = b._getters[name];
    if (!g) { g = b._getters[name] = columnGetter(b.d.cols[name]); }
    return g(this.row(i));
  };
  Layer.prototype.geom = function (i) { return this.base.d.geom[this.row(i)]; };
  Layer.prototype.kind = function (i) { var k = this.base.d.kinds; return k ? k[this.row(i)] : 2; };

  function makePath(kind, g, opts, s) {
    var i, parts = [];
    if (!g || !g.length) { return null; }
    if (kind === 2) {
      for (i = 0; i < g.length; i++) {
        var rings = [];
        for (var r = 0; r < g[i].length; r++) { rings.push(decodeFlat(g[i][r], s)); }
        parts.push(rings);
      }
      return L.polygon(parts.length === 1 ? parts[0] : parts, opts);
    }
    if (kind === 1) {
      for (i = 0; i < g.length; i++) { parts.push(decodeFlat(g[i], s)); }
      return L.polyline(parts, opts);
    }
    var pt = decodeFlat(g[0], s)[0];
    return L.circleMarker(pt, L.extend({radius: 6}, opts));
  }

  /* the tiles file (<map>.pmtiles.js) calls this with the archive (base64 pieces of equal size but
   * the last) and the search index (gzipped, base64) */
  global.gtTileData = function (chunks, search) { global.gtTiles = {chunks: chunks, search: search}; };
  global.gtTilesMissing = function (script) { global.gtTilesError = script.getAttribute("src"); };

  function bytesOf(b64) {
    var bin = atob(b64), out = new Uint8Array(bin.length);
    for (var k = 0; k < bin.length; k++) { out[k] = bin.charCodeAt(k); }
    return out;
  }

  /* a pmtiles Source over the base64 text: each read decodes only the bytes asked for */
  function B64Source(key, chunks) {
    this.key = key;
    this.chunks = chunks;
    this.size = chunks[0].length / 4 * 3;  /* bytes per piece */
  }
  B64Source.prototype.getKey = function () { return this.key; };
  B64Source.prototype.getBytes = function (offset, length) {
    var out = new Uint8Array(length), n = 0;
    while (n < length) {
      var c = Math.floor((offset + n) / this.size), b64 = this.chunks[c];
      if (b64 === undefined) { break; }
      var at = offset + n - c * this.size, want = Math.min(length - n, this.size - at);
      var start = Math.floor(at / 3) * 4, skip = at % 3;
      var bin = atob(b64.substring(start, Math.min(b64.length, Math.ceil((at + want) / 3) * 4)));
      var got = Math.max(0, Math.min(want, bin.length - skip));
      for (var k = 0; k < got; k++) { out[n + k] = bin.charCodeAt(k + skip); }
      n += got;
      if (got < want) { break; }
    }
    return Promise.resolve({data: n === length ? out.buffer : out.slice(0, n).buffer});
  };

  /* the tile (x, y) of zoom z holding a point */
  function tileOf(latlng, z) {
    var n = Math.pow(2, z), r = latlng.lat * Math.PI / 180;
    return {z: z, x: Math.floor((latlng.lng + 180) / 360 * n),
            y: Math.floor((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2 * n)};
  }

  function fmt(v, kind, data) {
    if (v === null || v === undefined || v === "" || (typeof v === "number" && isNaN(v))) { return null; }
    switch (kind) {
      case "num4": return Number(v).toFixed(4);
      case "num2": return Number(v).toFixed(2);
      case "num1": return Number(v).toFixed(1);
      case "int": return String(Math.round(Number(v)));
      case "pct": var n = Number(v); return (n <= 1.5 ? n * 100 : n).toFixed(1) + "%";
      case "bool": return v ? "是" : "否";
      case "idle": return data.idleLabels[String(v)] || String(v);
      default: return String(v);
    }
  }

  var OPS = {">=": "≥", "<=": "≤", ">": ">", "<": "<"};

  function rgba(hex, a) {
    var h = String(hex).replace("#", "");
    return "rgba(" + parseInt(h.substr(0, 2), 16) + "," + parseInt(h.substr(2, 2), 16) + "," +
      parseInt(h.substr(4, 2), 16) + "," + a + ")";
  }

  function numText(v) {
    if (v === null || v === undefined) { return ""; }
    var a = Math.abs(v);
    return a >= 1000 ? Math.round(v).toLocaleString("zh-CN") : (a >= 100 ? v.toFixed(1) : v.toFixed(2));
  }

  function escapeText(t) {
    /* for the few Leaflet APIs that take markup (layer-switcher names, attribution) */
    return String(t).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }

  /* the map is "compact" (panels start collapsed) below this size: a projector's 1280×720 */
  var COMPACT_W = 1600, COMPACT_H = 900;

  function gtBriefing(mapId, dataId) {
    var t0 = Date.now(), node = document.getElementById(dataId);
    var data = JSON.parse(node.textContent);
    node.parentNode.removeChild(node);  /* the parsed copy is all we need: free the text */
    var timing = {parse: Date.now() - t0};
    var container = document.getElementById(mapId);
    var compact = container.clientWidth < COMPACT_W || container.clientHeight < COMPACT_H;
    var map = L.map(container, {preferCanvas: true, maxZoom: 20, attributionControl: false});
    /* no flag, no link: the attribution names Leaflet as plain text, then any tile source */
    L.control.attribution({prefix: "Leaflet", position: "bottomright"}).addTo(map);
    L.control.scale({metric: true, imperial: false, position: "bottomleft"}).addTo(map);
    map.fitBounds(data.bounds);
    var s = data.scale;
    var layers = {}, order = [];
    var canvas = L.canvas({padding: 0.3, tolerance: 3});
    var svgs = {};
    map.createPane("gt-raster").style.zIndex = "250";
    map.getPane("gt-raster").style.pointerEvents = "none";
    ["gt-focus", "gt-plans", "gt-hit"].forEach(function (p, k) {
      map.createPane(p).style.zIndex = String(420 + 10 * k);
    });
    map.createPane("gt-labels").style.zIndex = "460";
    map.getPane("gt-labels").style.pointerEvents = "none";

    /* basemap: an image overlay (GeoTIFF) or tile layers (online) */
    var bm = data.basemap, baseLayers = null, overlays = [];
    if (bm && bm.image) {
      var img = L.imageOverlay(bm.image, bm.bounds, {opacity: bm.opacity, pane: "gt-raster"}).addTo(map);
      overlays.push([bm.label, img]);
    }
    if (bm && bm.tiles && bm.tiles.length) {
      baseLayers = {};
      bm.tiles.forEach(function (t) {
        var tl = L.tileLayer(t.url, {attribution: escapeText(t.attribution), subdomains: t.subdomains,
                                     maxZoom: 20, maxNativeZoom: t.maxZoom}).addTo(map);
        if (t.overlay) { overlays.push([t.label, tl]); } else { baseLayers[escapeText(t.label)] = tl; }
      });
    }
    var groups = {};
    data.layers.slice().sort(function (a, b) { return a.ctl - b.ctl; }).forEach(function (d) {
      var g = L.featureGroup();
      if (d.show) { g.addTo(map); }
      groups[d.name] = g;
    });

    /* the panels' boxes, in map-container pixels: popups pan clear of them */
    function panelBoxes() {
      var r = container.getBoundingClientRect(), out = [];
      var nodes = container.querySelectorAll(".leaflet-control-container .leaflet-control");
      for (var k = 0; k < nodes.length; k++) {
        var b = nodes[k].getBoundingClientRect();
        if (b.width && b.height) {
          out.push({left: b.left - r.left, top: b.top - r.top, right: b.right - r.left, bottom: b.bottom - r.top});
        }
      }
      return out;
    }
    function popupPadding(popup) {
      var w = container.clientWidth, h = container.clientHeight, left = 0, right = 0;
      panelBoxes().forEach(function (b) {
        if (b.left < w / 2) { left = Math.max(left, b.right); } else { right = Math.max(right, w - b.left); }
      });
      popup.options.autoPanPaddingTopLeft = L.point(left + 12, 12);
      popup.options.autoPanPaddingBottomRight = L.point(right + 12, 12);
      popup.options.maxHeight = Math.max(160, Math.min(420, h - 90));
      popup.options.maxWidth = Math.max(220, Math.min(360, w - left - right - 40));
    }

    /* findings: id -> row indices */
    var F = data.findings, fget = {}, fIndex = {};
    ["id", "rule", "clause", "status", "message", "value", "threshold", "unit"].forEach(function (k) {
      fget[k] = columnGetter(F[k]);
    });
    var nF = F.id ? (F.id.i ? F.id.i.length : F.id.v.length) : 0;
    for (var f = 0; f < nF; f++) {
      var fid = fget.id(f);
      if (fid !== null) { (fIndex[fid] = fIndex[fid] || []).push(f); }
    }

    /* a feature's findings as [status, rule, clause, message, value, threshold, unit] rows */
    function findingRows(id) {
      var list = fIndex[id] || [];
      return list.map(function (r) {
        return [fget.status(r), fget.rule(r), fget.clause(r), fget.message(r), fget.value(r), fget.threshold(r),
                fget.unit(r)];
      });
    }

    function findingsBlock(list) {
      if (!list || !list.length) { return null; }
      var box = el("div", "gt-findings");
      box.appendChild(el("div", "gt-pop-sub", "核查结论(" + list.length + " 条)"));
      var ul = el("ul");
      for (var k = 0; k < list.length; k++) {
        var r = list[k], st = r[0];
        var li = el("li");
        li.appendChild(el("span", "gt-st gt-st-" + st, data.statusLabels[st] || st));
        var rule = r[1], clause = r[2];
        li.appendChild(el("span", "gt-rule", (rule || "") + (clause ? " 〔" + clause + "〕" : "")));
        var msg = r[3];
        if (!msg) {
          var v = r[4], t = r[5], u = r[6] || "";
          msg = (v !== null ? "数值 " + v + u : "") + (t !== null ? ",阈值 " + t + u : "");
        }
        if (msg) { li.appendChild(el("span", "gt-msg", msg)); }
        ul.appendChild(li);
      }
      box.appendChild(ul);
      return box;
    }

    function popupFor(layer, i) {
      var get = function (c) { return layer.get(i, c); }, idcol = layer.d.idcol || layer.base.d.idcol;
      return popupBox(layer, get, idcol ? findingRows(get(idcol)) : null);
    }

    /* a tiled feature's popup: its properties are the tile feature's, its findings in "_f" */
    function tilePopupFor(layer, props) {
      var get = function (c) { var v = props[c]; return v === undefined ? null : v; };
      return popupBox(layer, get, props._f ? JSON.parse(props._f) : null);
    }

    function popupBox(layer, get, findings) {
      var d = layer.d, box = el("div", "gt-popup");
      var titleCol = d.title || layer.base.d.title;
      var idcol = d.idcol || layer.base.d.idcol;
      var title = (titleCol && get(titleCol)) || (idcol && get(idcol)) || d.label;
      box.appendChild(el("div", "gt-pop-layer", d.label));
      box.appendChild(el("div", "gt-pop-title", title));
      var table = el("table"), fields = d.fields || layer.base.d.fields;
      for (var k = 0; k < fields.length; k++) {
        var text = fmt(get(fields[k][0]), fields[k][2], data);
        if (text === null) { continue; }
        var tr = el("tr");
        tr.appendChild(el("th", null, fields[k][1]));
        tr.appendChild(el("td", null, text));
        table.appendChild(tr);
      }
      box.appendChild(table);
      var fb = findingsBlock(findings);
      if (fb) { box.appendChild(fb); }
      var rep = get("_report"), prefix = layer.base.d.reportPrefix;
      if (rep && prefix) {
        var a = el("a", "gt-report", "打开宗地分析报告");
        a.setAttribute("href", prefix + encodeURIComponent(rep));
        a.setAttribute("target", "_blank");
        a.setAttribute("rel", "noopener");
        box.appendChild(a);
      }
      return box;
    }

    function tooltipFor(layer, i) {
      var idcol = layer.d.idcol || layer.base.d.idcol;
      var titleCol = layer.d.title || layer.base.d.title;
      var name = titleCol ? layer.get(i, titleCol) : null, id = idcol ? layer.get(i, idcol) : null;
      var t = el("div", "gt-tip");
      t.appendChild(el("b", null, name || layer.d.label));
      if (id && id !== name) { t.appendChild(el("span", null, " " + id)); }
      return t;
    }

    /* parcels as vector tiles: one archive, one protomaps-leaflet layer per tiled map layer */
    var archive = null, topCache = null, tiled = [], tilesMissing = null;
    var anyTiles = data.layers.some(function (x) { return x.tiles; }), under = null, tiledPos = -1;
    data.layers.forEach(function (x, k) { if (x.tiles && tiledPos < 0) { tiledPos = k; } });
    if (anyTiles) {  /* the layers drawn below the parcels (parks, 三区三线) get their own canvas below the tiles */
      map.createPane("gt-under").style.zIndex = "385";
      under = L.canvas({padding: 0.3, pane: "gt-under"});
    }
    map.createPane("gt-tiles").style.zIndex = "390";
    map.createPane("gt-tiles-focus").style.zIndex = "395";
    function tileLayer(layer) {
      var d = layer.d, t = d.tiles, T = global.gtTiles;
      if (!T) { tilesMissing = t.file; return; }
      if (!archive) {
        archive = new pmtiles.PMTiles(new B64Source(t.file, T.chunks));
        topCache = new protomapsL.TileCache(new protomapsL.PmtilesSource(archive, false), 512);
      }
      var rules = [];
      d.styles.forEach(function (st, k) {
        var filter = function (z, f) { return f.props[t.prop] === k; };
        if (st.fill !== false) {
          rules.push({dataLayer: t.layer, filter: filter,
                      symbolizer: new protomapsL.PolygonSymbolizer({fill: st.fillColor, opacity: st.fillOpacity})});
        }
        if (st.weight > 0) {  /* outlines thinner at the overview, where parcels are a few pixels */
          rules.push({dataLayer: t.layer, filter: filter, symbolizer: new protomapsL.LineSymbolizer(
            {color: st.color, opacity: st.opacity, width: function (z) { return z >= 14 ? st.weight : st.weight / 2; }})});
        }
      });
      var tl = protomapsL.leafletLayer({url: archive, paintRules: rules, labelRules: [], maxDataZoom: t.maxzoom,
                                        pane: d.ref ? "gt-tiles-focus" : "gt-tiles", attribution: "", maxZoom: 22});
      tl.on("load", function () { timing.tiles = timing.tiles || Date.now() - t0; layer.loaded = (layer.loaded || 0) + 1; });
      layer.tile = tl;
      layer.group.addLayer(tl);
      tiled.push(layer);
    }

    /* the tiled feature under a point (from the top zoom, which carries the properties), or null */
    function pickTiled(latlng, done) {
      if (!topCache) { done(null); return; }
      var z = tiled[0].d.tiles.maxzoom;
      topCache.get(tileOf(latlng, z)).then(function () {
        var hits = topCache.queryFeatures(latlng.lng, latlng.lat, z, 2);
        done(hits.length ? hits[hits.length - 1].feature : null);
      }, function () { done(null); });
    }

    /* a click on the map (not on a feature drawn above the tiles): the top shown tiled layer's
     * feature there, else the feature of a layer drawn below the tiles (not interactive itself) */
    var tilePopup = L.popup({maxWidth: 360, minWidth: 220, maxHeight: 420, autoPanPadding: [12, 12]});
    function openTiled(latlng) {
      pickTiled(latlng, function (f) {
        var k, l;
        for (k = tiled.length - 1; f && k >= 0; k--) {
          l = tiled[k];
          var c = f.props[l.d.tiles.prop];
          if (map.hasLayer(l.group) && c !== undefined && c >= 0) {
            popupPadding(tilePopup);
            tilePopup.setLatLng(latlng).setContent(tilePopupFor(l, f.props)).openOn(map);
            return;
          }
        }
        var pt = map.latLngToLayerPoint(latlng);
        for (k = order.length - 1; k >= 0; k--) {
          l = order[k];
          if (!l.under || !map.hasLayer(l.group)) { continue; }
          for (var i = 0; i < l.paths.length; i++) {
            var p = l.paths[i];
            if (p && p._containsPoint && p._pxBounds && p._pxBounds.contains(pt) && p._containsPoint(pt)) {
              popupPadding(tilePopup);
              tilePopup.setLatLng(latlng).setContent(popupFor(l, i)).openOn(map);
              return;
            }
          }
        }
      });
    }
    map.on("click", function (e) { if (tiled.length) { openTiled(e.latlng); } });

    /* build every layer */
    data.layers.forEach(function (d, pos) {
      var base = d.ref ? layers[d.ref] : null;
      if (d.ref && !base) { return; }
      var layer = new Layer(d, base);
      layer.order = pos;
      layer.group = groups[d.name];
      layers[d.name] = layer;
      order.push(layer);
      if (!layer.group) { return; }
      if (d.tiles) { tileLayer(layer); return; }
      var renderer = canvas;
      if (d.svg) { renderer = svgs[d.pane] = svgs[d.pane] || L.svg({pane: d.pane}); }
      layer.under = anyTiles && pos < tiledPos;
      if (layer.under) { renderer = under; }
      layer.canvas = !d.svg && !layer.under;
      /* with tiles, a click on a feature drawn above them stays with it (the map's click opens the
       * tiled ones, then those below) */
      var styles = d.styles.map(function (st) {
        return L.extend({renderer: renderer, bubblingMouseEvents: !anyTiles, interactive: !layer.under}, st);
      });
      for (var i = 0; i < d.n; i++) {
        var p = makePath(layer.kind(i), layer.geom(i), styles[d.cat[i]], s);
        if (!p) { continue; }
        p._gt = i;
        layer.paths[i] = p;
        layer.group.addLayer(p);
      }
      var popup = L.popup({maxWidth: 360, minWidth: 220, maxHeight: 420, autoPanPadding: [12, 12]});
      popup.setContent(function (p) { popupPadding(popup); return popupFor(layer, p._gt); });
      layer.group.bindPopup(popup);
      layer.group.bindTooltip(function (p) { return tooltipFor(layer, p._gt); }, {sticky: true, direction: "top"});
      layer.group._gtLayer = layer;
    });

    timing.layers = Date.now() - t0 - timing.parse;

    /* one canvas for every canvas layer: keep the drawing order when a lower layer is switched on */
    map.on("overlayadd", function (e) {
      var added = e.layer && e.layer._gtLayer;
      if (!added) { return; }
      order.forEach(function (l) {
        if (l.canvas && l.order > added.order && map.hasLayer(l.group)) {
          l.group.eachLayer(function (p) { p.bringToFront(); });
        }
      });
      legend.update();
    });
    map.on("overlayremove", function () { legend.update(); });

    /* legend */
    var legend = L.control({position: "bottomright"});
    legend._open = !compact;
    var byControl = order.slice().sort(function (a, b) { return a.d.ctl - b.d.ctl; });
    legend.onAdd = function () {
      this._div = el("div", "gt-panel gt-legend");
      L.DomEvent.disableClickPropagation(this._div);
      L.DomEvent.disableScrollPropagation(this._div);
      this.update();
      return this._div;
    };
    legend.update = function () {
      var box = this._div;
      if (!box) { return; }
      while (box.firstChild) { box.removeChild(box.firstChild); }
      var head = el("div", "gt-summary-head"), btn = el("button", "gt-toggle", legend._open ? "收起" : "展开");
      btn.setAttribute("type", "button");
      head.appendChild(el("div", "gt-panel-title", "图例"));
      head.setAttribute("title", "图例");
      head.appendChild(btn);
      box.appendChild(head);
      L.DomEvent.on(btn, "click", function () { legend._open = !legend._open; legend.update(); });
      if (!legend._open) { return; }
      byControl.forEach(function (l) {
        if (!l.group || !map.hasLayer(l.group) || !l.d.legend.length) { return; }
        box.appendChild(el("div", "gt-legend-layer", l.d.label));
        l.d.legend.forEach(function (c) {
          var row = el("div", "gt-legend-row"), sw = el("span", "gt-swatch"), st = c.style;
          sw.style.backgroundColor = st.fill === false ? "transparent" : rgba(st.fillColor, Math.max(0.15, st.fillOpacity));
          sw.style.borderColor = st.color;
          sw.style.borderStyle = st.dashArray ? "dashed" : "solid";
          sw.style.borderWidth = Math.min(3, Math.max(1, st.weight)) + "px";
          row.appendChild(sw);
          row.appendChild(el("span", "gt-legend-label", c.label));
          var n = c.count + (l.d.name === "parcels" || l.d.name === "reclaimable" ? " 宗" : "");
          row.appendChild(el("span", "gt-legend-count", n + (c.area ? " · " + numText(c.area) + " 亩" : "")));
          box.appendChild(row);
        });
      });
      if (bm && bm.legend && bm.legend.length) {
        box.appendChild(el("div", "gt-legend-layer", bm.label || "底图"));
        bm.legend.forEach(function (c) {
          var row = el("div", "gt-legend-row"), sw = el("span", "gt-swatch");
          sw.style.backgroundColor = c[1];
          row.appendChild(sw);
          row.appendChild(el("span", "gt-legend-label", c[0]));
          box.appendChild(row);
        });
      }
      if (data.gcj02) { box.appendChild(el("div", "gt-note", "图层已按 GCJ-02 偏移以对齐底图")); }
    };
    legend.addTo(map);

    /* summary: county figures and targets */
    var sum = L.control({position: "bottomleft"});
    sum.onAdd = function () {
      var S = data.summary, box = el("div", "gt-panel gt-summary");
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      var head = el("div", "gt-summary-head");
      head.appendChild(el("div", "gt-panel-title", S.title));
      var btn = el("button", "gt-toggle", "展开");
      btn.setAttribute("type", "button");
      head.appendChild(btn);
      box.appendChild(head);
      var body = el("div", "gt-summary-body");
      if (S.subtitle) { body.appendChild(el("div", "gt-subtitle", S.subtitle)); }
      var facts = el("table", "gt-facts");
      S.facts.forEach(function (f) {
        var tr = el("tr");
        tr.appendChild(el("th", null, f[0]));
        tr.appendChild(el("td", null, f[1]));
        facts.appendChild(tr);
      });
      body.appendChild(facts);
      if (S.targets.length) {
        body.appendChild(el("div", "gt-pop-sub", "目标完成情况"));
        S.targets.forEach(function (t) {
          var row = el("div", "gt-target");
          var label = el("div", "gt-target-label");
          label.appendChild(el("span", null, t.label));
          var txt = (t.value === null ? "无数据" : numText(t.value)) + " / " + (OPS[t.op] || t.op || "") +
            numText(t.target) + " " + t.unit + (t.progress === null && t.status ? " · " + t.status : "");
          label.appendChild(el("span", "gt-target-val", txt));
          row.appendChild(label);
          if (t.progress !== null) {
            var bar = el("div", "gt-bar"), fill = el("div", "gt-bar-fill" + (t.progress >= 1 ? " gt-done" : ""));
            fill.style.width = Math.max(0, Math.min(100, t.progress * 100)).toFixed(1) + "%";
            bar.appendChild(fill);
            /* floor: 99.96 % of a target is not met and must not read 100 % */
            bar.appendChild(el("span", "gt-bar-text", Math.floor(t.progress * 100) + "%"));
            row.appendChild(bar);
          }
          body.appendChild(row);
        });
      }
      box.appendChild(body);
      /* compact: the title and the headline figure only, the rest a click away */
      var brief = el("div", "gt-summary-brief");
      var head1 = S.facts.length > 2 ? S.facts[2] : S.facts[0];
      if (head1) { brief.textContent = head1[0] + " " + head1[1]; }
      box.insertBefore(brief, body);
      function setOpen(open) {
        body.style.display = open ? "" : "none";
        brief.style.display = open ? "none" : "";
        btn.textContent = open ? "收起" : "展开";
      }
      setOpen(!compact);
      L.DomEvent.on(btn, "click", function () { setOpen(body.style.display === "none"); });
      return box;
    };
    sum.addTo(map);

    if (tilesMissing) {  /* the tiles file was not beside the page: say so on the map */
      var miss = L.control({position: "topleft"});
      miss.onAdd = function () {
        return el("div", "gt-panel gt-note gt-missing", "未找到宗地瓦片文件 " + tilesMissing +
                  ",请将其与本页放在同一文件夹后重新打开。");
      };
      miss.addTo(map);
    }

    /* search: enterprise name, 统一社会信用代码, parcel id (and plot / proposal ids) */
    var index = [];
    order.forEach(function (l) {
      if (!l.group || l.d.ref || !l.d.search || l.d.tiles) { return; }
      for (var i = 0; i < l.d.n; i++) {
        if (!l.paths[i]) { continue; }
        var parts = [];
        for (var k = 0; k < l.d.search.length; k++) {
          var v = l.get(i, l.d.search[k]);
          if (v !== null) { parts.push(String(v)); }
        }
        index.push([l, i, parts.join("\u0001").toLowerCase()]);
      }
    });
    /* the tiled parcels' index: "x,y<TAB>name<1>credit code<1>id<1>other names<1>other codes" lines */
    var tText = null, tIndex = null, tSame = true, tLoading = null;
    /* inflate the index at the first search (then call done); false while it is being inflated */
    function tileIndexReady(done) {
      var T = global.gtTiles;
      if (tIndex !== null || !tiled.length || !T || !T.search) { return true; }
      if (!tLoading) {
        tLoading = [];
        var stream = new Blob([bytesOf(T.search)]).stream().pipeThrough(new DecompressionStream("gzip"));
        new Response(stream).text().then(function (text) {
          tText = text;
          tIndex = text.toLowerCase();
          tSame = tIndex.length === text.length;
          tLoading.forEach(function (f) { f(); });
        });
      }
      tLoading.push(done);
      return false;
    }
    function tileHits(q, max) {
      var out = [];
      if (tIndex === null || max <= 0) { return out; }
      var from = 0;
      while (out.length < max) {
        var at = tIndex.indexOf(q, from);
        if (at < 0) { break; }
        var start = tIndex.lastIndexOf("\n", at) + 1, end = tIndex.indexOf("\n", at), tab = tIndex.indexOf("\t", start);
        if (end < 0) { end = tIndex.length; }
        if (at < tab) { from = at + 1; continue; }  /* in the coordinates */
        from = end + 1;
        var src = tSame ? tText : tIndex, xy = src.substring(start, tab).split(",");
        var p = src.substring(tab + 1, end).split("\u0001");
        out.push({lat: Number(xy[1]) / s, lng: Number(xy[0]) / s, name: p[0], uscc: p[1], id: p[2],
                  names: p[3] || "", codes: p[4] || ""});
      }
      return out;
    }
    function focusTiled(h) {
      var l = layers.parcels, ll = L.latLng(h.lat, h.lng);
      if (!map.hasLayer(l.group)) { map.addLayer(l.group); }
      if (hit) { map.removeLayer(hit); }
      hit = L.circleMarker(ll, {pane: "gt-hit", radius: 14, color: "#00e5ff", weight: 4, fill: false,
                                interactive: false, renderer: L.svg({pane: "gt-hit"})}).addTo(map);
      map.setView(ll, Math.max(map.getZoom(), 18), {animate: false});
      openTiled(ll);
    }

    var hit = null;
    function focusFeature(l, i) {
      var p = l.paths[i];
      if (!p) { return; }
      if (!map.hasLayer(l.group)) { map.addLayer(l.group); }
      var b = p.getBounds ? p.getBounds() : L.latLngBounds([p.getLatLng()]);
      if (hit) { map.removeLayer(hit); }
      hit = (p.getLatLngs ? L.polygon(p.getLatLngs(), {pane: "gt-hit", color: "#00e5ff", weight: 5, fill: false,
                                                          interactive: false, renderer: L.svg({pane: "gt-hit"})})
                          : L.circleMarker(p.getLatLng(), {pane: "gt-hit", radius: 12, color: "#00e5ff"}));
      hit.addTo(map);
      map.once("moveend", function () {
        var c = p.getCenter ? p.getCenter() : p.getLatLng();
        p.fire("click", {latlng: c}, true);
        l.group.closeTooltip();
      });
      map.fitBounds(b, {maxZoom: 18, padding: [60, 60], animate: false});
    }
    var search = L.control({position: "topleft"});
    search.onAdd = function () {
      var box = el("div", "gt-panel gt-search");
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      var input = el("input");
      input.setAttribute("type", "search");
      input.setAttribute("placeholder", "企业名称 / 信用代码 / 宗地代码");
      input.setAttribute("aria-label", "搜索");
      var list = el("ul", "gt-results");
      box.appendChild(input);
      box.appendChild(list);
      var found = [], timer = null;
      function tenant(names, codes, q) {  /* the enterprise on the parcel that matched, or null */
        names = String(names || "").split("、");
        codes = String(codes || "").split(" ");
        for (var m = 0; m < names.length; m++) {
          if (names[m].toLowerCase().indexOf(q) >= 0 || (codes[m] || "").toLowerCase().indexOf(q) >= 0) {
            return names[m];
          }
        }
        return null;
      }
      function run(then) {
        var q = input.value.replace(/^\s+|\s+$/g, "").toLowerCase();
        while (list.firstChild) { list.removeChild(list.firstChild); }
        found = [];
        if (!q) { return; }
        if (!tileIndexReady(function () { run(then); })) {
          list.appendChild(el("li", "gt-none", "正在载入宗地索引…"));
          return;
        }
        for (var k = 0; k < index.length && found.length < 12; k++) {
          if (index[k][2].indexOf(q) >= 0) { found.push(index[k]); }
        }
        tileHits(q, 12 - found.length).forEach(function (h) {
          var li = el("li", "gt-hit-item"), sub = [];
          li.appendChild(el("b", null, h.name || layers.parcels.d.label));
          if (h.id) { sub.push(h.id); }
          if (h.uscc) { sub.push(h.uscc); }
          var who = String(h.name).toLowerCase().indexOf(q) < 0 ? tenant(h.names, h.codes, q) : null;
          if (who) { sub.push("入驻企业 " + who); }
          li.appendChild(el("span", null, sub.join(" · ")));
          L.DomEvent.on(li, "click", function () { focusTiled(h); });
          found.push([null, h, li]);
        });
        if (!found.length) { list.appendChild(el("li", "gt-none", "未找到")); }
        if (then) { then(); }
        found.forEach(function (h) {
          if (!h[0]) { list.appendChild(h[2]); return; }
          var l = h[0], i = h[1];
          var titleCol = l.d.title, idcol = l.d.idcol;
          var li = el("li", "gt-hit-item");
          li.appendChild(el("b", null, (titleCol && l.get(i, titleCol)) || l.d.label));
          var sub = [];
          if (idcol && l.get(i, idcol)) { sub.push(l.get(i, idcol)); }
          if (l.d.cols._uscc && l.get(i, "_uscc")) { sub.push(l.get(i, "_uscc")); }
          /* a tenant (一地多企) found by name or code: say which enterprise on the parcel matched */
          var title = (titleCol && l.get(i, titleCol)) || "";
          if (String(title).toLowerCase().indexOf(q) < 0 && l.d.cols._ent_names) {
            var who = tenant(l.get(i, "_ent_names"), l.get(i, "_ent_uscc"), q);
            if (who) { sub.push("入驻企业 " + who); }
          }
          li.appendChild(el("span", null, sub.join(" · ")));
          L.DomEvent.on(li, "click", function () { focusFeature(l, i); });
          list.appendChild(li);
        });
      }
      L.DomEvent.on(input, "input", function () { clearTimeout(timer); timer = setTimeout(function () { run(); }, 120); });
      L.DomEvent.on(input, "keydown", function (e) {
        if (e.keyCode === 13) {
          clearTimeout(timer);
          run(function () {
            if (found.length) {
              if (found[0][0]) { focusFeature(found[0][0], found[0][1]); } else { focusTiled(found[0][1]); }
            }
          });
        }
      });
      return box;
    };
    search.addTo(map);

    /* layer switcher: the map's layers in their control order, then the basemap's */
    var overlayObj = {};
    byControl.forEach(function (l) { if (l.group) { overlayObj[escapeText(l.d.label)] = l.group; } });
    overlays.forEach(function (o) { overlayObj[escapeText(o[0])] = o[1]; });
    L.control.layers(baseLayers, overlayObj, {collapsed: false, position: "topright"}).addTo(map);

    /* township and park names: labels at suitable zooms (text nodes, never markup); a label that
     * would cover one of a better rank (parks before townships) is left out at that zoom */
    var labelGroups = [];
    (data.labels || []).forEach(function (lb) {
      var span = el("span", "gt-label-text", lb.text);
      var icon = L.divIcon({className: "gt-label gt-label-" + lb.kind, html: span, iconSize: null});
      var mk = L.marker(lb.pt, {icon: icon, pane: "gt-labels", interactive: false, keyboard: false});
      labelGroups.push([lb.zoom[0], lb.zoom[1], mk, lb.rank || 0, span]);
    });
    labelGroups.sort(function (a, b) { return a[3] - b[3]; });
    function showLabels() {
      var z = map.getZoom(), placed = [];
      labelGroups.forEach(function (x) {
        var on = z >= x[0] && z < x[1];
        if (on && !map.hasLayer(x[2])) { x[2].addTo(map); } else if (!on && map.hasLayer(x[2])) { map.removeLayer(x[2]); }
        if (!on) { return; }
        var b = x[4].getBoundingClientRect();
        for (var k = 0; k < placed.length; k++) {
          var p = placed[k];
          if (b.left < p.right && p.left < b.right && b.top < p.bottom && p.top < b.bottom) {
            map.removeLayer(x[2]);
            return;
          }
        }
        placed.push(b);
      });
    }
    map.on("zoomend", showLabels);
    showLabels();
    timing.total = Date.now() - t0;
    global.gtMap = {map: map, layers: layers, focus: focusFeature, timing: timing, compact: compact,
                    panelBoxes: panelBoxes, tiled: tiled, pickTiled: pickTiled, ready: true};
  }

  global.gtBriefing = gtBriefing;
}(window));
