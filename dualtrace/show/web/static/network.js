// dualtrace network view: a small force-directed layout on <canvas>, no libraries.
//
// Repulsion uses a Barnes-Hut quadtree (O(n log n) per tick), so hundreds or a few
// thousand nodes stay smooth; links are springs; the simulation cools and stops, and
// restarts on expand or drag. Everything the mouse does has a keyboard equivalent and
// the table under the picture lists the same nodes with Expand buttons.
"use strict";
(function () {
  var canvas = document.getElementById("network");
  if (!canvas) { return; }
  var ctx = canvas.getContext("2d");
  var api = canvas.dataset.api;
  var profileBase = canvas.dataset.profile;
  var centreId = canvas.dataset.entity;
  var statusEl = document.getElementById("net-status");
  var infoEl = document.getElementById("selected-info");
  var typesEl = document.getElementById("edge-types");
  var dateEl = document.getElementById("net-date");
  var hlListed = document.getElementById("hl-listed");
  var hlPath = document.getElementById("hl-path");
  var tableBody = document.querySelector("#node-table tbody");

  var nodes = new Map();   // id -> node
  var edges = new Map();   // id -> edge
  var hiddenTypes = new Set();
  var selected = null;
  var alpha = 1;
  var running = false;
  var view = { x: 0, y: 0, k: 1 };
  var pathEdges = new Set();
  var pathNodes = new Set();
  var loading = 0;

  function setStatus(text) { if (statusEl) { statusEl.textContent = text; } }

  // ------------------------------------------------------------------ data

  function fetchNeighbours(ids) {
    var params = new URLSearchParams();
    ids.forEach(function (id) { params.append("id", id); });
    if (canvas.dataset.asOf) { params.set("as_of", canvas.dataset.asOf); }
    loading += 1;
    setStatus("Loading neighbours…");
    return fetch(api + "?" + params.toString(), { credentials: "same-origin" })
      .then(function (r) {
        if (!r.ok) { return r.json().then(function (j) { throw new Error(j.detail || r.statusText); }); }
        return r.json();
      })
      .then(function (data) { loading -= 1; merge(data, ids); })
      .catch(function (err) { loading -= 1; setStatus("Could not load: " + err.message); });
  }

  function merge(data, expandedIds) {
    var anchor = null;
    if (expandedIds.length === 1 && nodes.has(expandedIds[0])) { anchor = nodes.get(expandedIds[0]); }
    var w = canvas.clientWidth, h = canvas.clientHeight;
    var placed = 0;
    data.nodes.forEach(function (n) {
      if (nodes.has(n.id)) {
        var old = nodes.get(n.id);
        old.listed = n.listed; old.caption = n.caption; old.schema = n.schema;
        return;
      }
      // new nodes start on a golden-angle spiral around the expanded node: already
      // spread out, so the layout needs few iterations to settle
      placed += 1;
      var a = placed * 2.39996, r = 40 + 14 * Math.sqrt(placed);
      var bx = anchor ? anchor.x : w / 2, by = anchor ? anchor.y : h / 2;
      nodes.set(n.id, {
        id: n.id, caption: n.caption, schema: n.schema, listed: n.listed,
        datasets: n.datasets, x: bx + Math.cos(a) * r, y: by + Math.sin(a) * r,
        vx: 0, vy: 0, fixed: false, expanded: false, degree: 0
      });
    });
    data.centre.forEach(function (id) { if (nodes.has(id)) { nodes.get(id).expanded = true; } });
    data.edges.forEach(function (e) { if (!edges.has(e.id)) { edges.set(e.id, e); } });
    nodes.forEach(function (n) { n.degree = 0; });
    edges.forEach(function (e) {
      if (nodes.has(e.source)) { nodes.get(e.source).degree += 1; }
      if (nodes.has(e.target)) { nodes.get(e.target).degree += 1; }
    });
    buildTypeFilters();
    refresh();
    reheat(0.8);
  }

  // ------------------------------------------------------------------ filters

  function edgeVisible(e) {
    if (hiddenTypes.has(e.type)) { return false; }
    var d = dateEl && dateEl.value;
    if (d) {
      if (e.start && e.start > d) { return false; }
      if (e.end && e.end < d) { return false; }
    }
    return nodes.has(e.source) && nodes.has(e.target);
  }

  function visibleGraph() {
    var vEdges = [];
    var vNodes = new Set([centreId]);
    edges.forEach(function (e) {
      if (edgeVisible(e)) { vEdges.push(e); vNodes.add(e.source); vNodes.add(e.target); }
    });
    nodes.forEach(function (n) { if (n.expanded) { vNodes.add(n.id); } });
    return { nodes: vNodes, edges: vEdges };
  }

  function buildTypeFilters() {
    if (!typesEl) { return; }
    var counts = new Map();
    edges.forEach(function (e) { counts.set(e.type, (counts.get(e.type) || 0) + 1); });
    var legend = typesEl.querySelector("legend");
    typesEl.textContent = "";
    typesEl.appendChild(legend);
    Array.from(counts.keys()).sort().forEach(function (type) {
      var label = document.createElement("label");
      var box = document.createElement("input");
      box.type = "checkbox";
      box.checked = !hiddenTypes.has(type);
      box.value = type;
      box.addEventListener("change", function () {
        if (box.checked) { hiddenTypes.delete(type); } else { hiddenTypes.add(type); }
        refresh(); reheat(0.3);
      });
      label.appendChild(box);
      label.appendChild(document.createTextNode(" " + type + " (" + counts.get(type) + ")"));
      typesEl.appendChild(label);
    });
    if (counts.size === 0) {
      var p = document.createElement("p");
      p.className = "muted";
      p.textContent = "no links";
      typesEl.appendChild(p);
    }
  }

  // Shortest path (undirected, visible links) from the selection or centre to the
  // nearest listed party other than itself.
  function computePath(vis) {
    pathEdges = new Set(); pathNodes = new Set();
    if (!hlPath || !hlPath.checked) { return; }
    var start = selected || centreId;
    var adj = new Map();
    vis.edges.forEach(function (e) {
      if (!adj.has(e.source)) { adj.set(e.source, []); }
      if (!adj.has(e.target)) { adj.set(e.target, []); }
      adj.get(e.source).push([e.target, e.id]);
      adj.get(e.target).push([e.source, e.id]);
    });
    var prev = new Map([[start, null]]);
    var queue = [start], found = null;
    while (queue.length) {
      var cur = queue.shift();
      var node = nodes.get(cur);
      if (cur !== start && node && node.listed) { found = cur; break; }
      (adj.get(cur) || []).forEach(function (pair) {
        if (!prev.has(pair[0])) { prev.set(pair[0], [cur, pair[1]]); queue.push(pair[0]); }
      });
    }
    while (found && prev.get(found)) {
      var step = prev.get(found);
      pathNodes.add(found); pathEdges.add(step[1]);
      found = step[0];
    }
    if (pathEdges.size) { pathNodes.add(start); }
  }

  var current = { nodes: new Set(), edges: [], list: [] };
  function refresh() {
    current = visibleGraph();
    current.list = Array.from(current.nodes).map(function (id) { return nodes.get(id); }).filter(Boolean);
    computePath(current);
    renderTable();
    setStatus(current.nodes.size + " nodes, " + current.edges.length + " links shown (" +
      nodes.size + " loaded)" + (pathEdges.size ? "; path to a listed party: " + pathEdges.size + " hops" : ""));
    canvas.dataset.nodes = String(current.nodes.size);
    canvas.dataset.edges = String(current.edges.length);
    draw();
  }

  // The table lists listed parties first, then by name; the first TABLE_ROWS rows
  // unless the user asks for all (building hundreds of rows delays the first picture).
  var TABLE_ROWS = 100;
  var tableAll = false;
  var moreBtn = document.getElementById("node-table-more");
  var collator = new Intl.Collator(undefined, { sensitivity: "base" });
  function renderTable() {
    if (!tableBody) { return; }
    var list = current.list.slice();
    list.sort(function (a, b) { return (b.listed - a.listed) || collator.compare(a.caption, b.caption); });
    var rows = tableAll ? list : list.slice(0, TABLE_ROWS);
    var frag = document.createDocumentFragment();
    rows.forEach(function (n) {
      var tr = document.createElement("tr");
      var td1 = document.createElement("td");
      var a = document.createElement("a");
      a.href = profileBase + encodeURIComponent(n.id);
      a.textContent = n.caption;
      td1.appendChild(a);
      var td2 = document.createElement("td"); td2.textContent = n.schema;
      var td3 = document.createElement("td"); td3.textContent = n.listed ? "listed" : "";
      var td4 = document.createElement("td"); td4.textContent = String(n.degree);
      var td5 = document.createElement("td");
      var b = document.createElement("button");
      b.type = "button";
      b.className = "small expand";
      b.textContent = n.expanded ? "Expanded" : "Expand";
      b.disabled = n.expanded;
      b.dataset.id = n.id;
      b.setAttribute("aria-label", "Expand " + n.caption);
      td5.appendChild(b);
      tr.appendChild(td1); tr.appendChild(td2); tr.appendChild(td3); tr.appendChild(td4); tr.appendChild(td5);
      frag.appendChild(tr);
    });
    tableBody.textContent = "";
    tableBody.appendChild(frag);
    if (moreBtn) {
      moreBtn.hidden = tableAll || list.length <= TABLE_ROWS;
      moreBtn.textContent = "Show all " + list.length + " nodes";
    }
  }
  if (tableBody) {
    // one listener for every Expand button in the table
    tableBody.addEventListener("click", function (ev) {
      var b = ev.target.closest ? ev.target.closest("button.expand") : null;
      if (b && b.dataset.id) { select(b.dataset.id); expand(b.dataset.id); }
    });
  }
  if (moreBtn) { moreBtn.addEventListener("click", function () { tableAll = true; renderTable(); }); }

  // ------------------------------------------------------------------ simulation

  function Quad(x0, y0, x1, y1) {
    this.x0 = x0; this.y0 = y0; this.x1 = x1; this.y1 = y1;
    this.mass = 0; this.cx = 0; this.cy = 0; this.body = null; this.kids = null;
  }
  Quad.prototype.insert = function (n, depth) {
    if (this.mass === 0 && !this.kids) {
      this.body = n; this.mass = 1; this.cx = n.x; this.cy = n.y; return;
    }
    if (!this.kids) {
      if (depth > 24) { this.mass += 1; return; }
      var mx = (this.x0 + this.x1) / 2, my = (this.y0 + this.y1) / 2;
      this.kids = [new Quad(this.x0, this.y0, mx, my), new Quad(mx, this.y0, this.x1, my),
        new Quad(this.x0, my, mx, this.y1), new Quad(mx, my, this.x1, this.y1)];
      var old = this.body; this.body = null;
      this.child(old).insert(old, depth + 1);
    }
    this.cx = (this.cx * this.mass + n.x) / (this.mass + 1);
    this.cy = (this.cy * this.mass + n.y) / (this.mass + 1);
    this.mass += 1;
    this.child(n).insert(n, depth + 1);
  };
  Quad.prototype.child = function (n) {
    var mx = (this.x0 + this.x1) / 2, my = (this.y0 + this.y1) / 2;
    return this.kids[(n.x >= mx ? 1 : 0) + (n.y >= my ? 2 : 0)];
  };
  Quad.prototype.repel = function (n, strength) {
    if (this.mass === 0 || this.body === n) { return; }
    var dx = this.cx - n.x, dy = this.cy - n.y;
    var d2 = dx * dx + dy * dy + 0.01;
    var size = this.x1 - this.x0;
    if (!this.kids || (size * size) / d2 < 0.64) {
      var f = strength * this.mass / d2;
      n.vx -= dx * f; n.vy -= dy * f;
      return;
    }
    for (var i = 0; i < 4; i++) { this.kids[i].repel(n, strength); }
  };

  function tick() {
    var list = current.list;
    if (!list.length) { return; }
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    list.forEach(function (n) {
      x0 = Math.min(x0, n.x); y0 = Math.min(y0, n.y); x1 = Math.max(x1, n.x); y1 = Math.max(y1, n.y);
    });
    var span = Math.max(x1 - x0, y1 - y0) + 1;
    var root = new Quad(x0, y0, x0 + span, y0 + span);
    list.forEach(function (n) { root.insert(n, 0); });
    var strength = 900 * alpha;
    list.forEach(function (n) { root.repel(n, strength); });
    current.edges.forEach(function (e) {
      var a = nodes.get(e.source), b = nodes.get(e.target);
      var dx = b.x - a.x, dy = b.y - a.y;
      var d = Math.sqrt(dx * dx + dy * dy) + 0.01;
      var rest = 70 + 4 * Math.sqrt(Math.max(a.degree, b.degree));
      var f = (d - rest) / d * 0.06 * alpha;
      a.vx += dx * f; a.vy += dy * f; b.vx -= dx * f; b.vy -= dy * f;
    });
    var cx = canvas.clientWidth / 2, cy = canvas.clientHeight / 2;
    list.forEach(function (n) {
      n.vx += (cx - n.x) * 0.002 * alpha; n.vy += (cy - n.y) * 0.002 * alpha;
      if (n.fixed) { n.vx = 0; n.vy = 0; return; }
      n.vx *= 0.6; n.vy *= 0.6;
      var v = Math.sqrt(n.vx * n.vx + n.vy * n.vy);
      if (v > 40) { n.vx *= 40 / v; n.vy *= 40 / v; }
      n.x += n.vx; n.y += n.vy;
    });
    alpha *= 0.975;
  }

  // As many ticks as fit in ~12 ms, then one frame: small graphs settle in a blink,
  // large ones keep the page responsive.
  // Until the user pans, zooms or drags, keep the whole picture in view.
  var autoFit = true;
  var MIN_ZOOM = 0.05;
  function fit() {
    if (!autoFit || current.nodes.size < 2) { return; }
    var x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    current.nodes.forEach(function (id) {
      var n = nodes.get(id);
      if (!n) { return; }
      x0 = Math.min(x0, n.x); y0 = Math.min(y0, n.y); x1 = Math.max(x1, n.x); y1 = Math.max(y1, n.y);
    });
    var w = canvas.clientWidth, h = canvas.clientHeight, pad = 60;
    var k = Math.min(1.5, (w - 2 * pad - 120) / Math.max(x1 - x0, 1), (h - 2 * pad) / Math.max(y1 - y0, 1));
    view.k = Math.max(MIN_ZOOM, k);
    view.x = w / 2 - view.k * (x0 + x1) / 2 - 40;
    view.y = h / 2 - view.k * (y0 + y1) / 2;
  }

  function loop() {
    var start = performance.now();
    do { tick(); } while (alpha > 0.02 && performance.now() - start < 12);
    fit();
    draw();
    if (alpha > 0.02) { window.requestAnimationFrame(loop); } else { running = false; canvas.dataset.settled = "1"; }
  }
  function reheat(a) {
    alpha = Math.max(alpha, a);
    canvas.dataset.settled = "0";
    if (!running) { running = true; window.requestAnimationFrame(loop); }
  }

  // ------------------------------------------------------------------ drawing

  function resize() {
    var dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(canvas.clientWidth * dpr);
    canvas.height = Math.round(canvas.clientHeight * dpr);
    draw();
  }

  var COLOURS = { Ownership: "#1f5fa8", Control: "#1f5fa8", parent: "#1f5fa8", Directorship: "#7a4fa0",
    Payment: "#2c8a3e", Family: "#a86b1f", Associate: "#a86b1f" };

  // One canvas path per colour for links and nodes (not one per item): with hundreds of
  // nodes the software-rendered canvas of a headless or GPU-less browser spends its
  // time in stroke/fill calls, not in geometry.
  function groupBy(items, keyOf) {
    var groups = new Map();
    items.forEach(function (item) {
      var key = keyOf(item);
      if (key === null) { return; }
      var list = groups.get(key);
      if (!list) { list = []; groups.set(key, list); }
      list.push(item);
    });
    return groups;
  }

  function arrowHead(a, b) {
    var ang = Math.atan2(b.y - a.y, b.x - a.x), r = 9;
    var tx = b.x - Math.cos(ang) * r, ty = b.y - Math.sin(ang) * r;
    ctx.moveTo(tx, ty);
    ctx.lineTo(tx - Math.cos(ang - 0.4) * 7, ty - Math.sin(ang - 0.4) * 7);
    ctx.lineTo(tx - Math.cos(ang + 0.4) * 7, ty - Math.sin(ang + 0.4) * 7);
    ctx.closePath();
  }

  function strokeLinks(list, colour, width, alpha, arrows) {
    ctx.globalAlpha = alpha;
    ctx.strokeStyle = colour;
    ctx.lineWidth = width / view.k;
    ctx.beginPath();
    list.forEach(function (e) {
      var a = nodes.get(e.source), b = nodes.get(e.target);
      ctx.moveTo(a.x, a.y); ctx.lineTo(b.x, b.y);
    });
    ctx.stroke();
    if (arrows) {
      ctx.fillStyle = colour;
      ctx.beginPath();
      list.forEach(function (e) { arrowHead(nodes.get(e.source), nodes.get(e.target)); });
      ctx.fill();
    }
  }

  // Node size in world units, but never under MIN_DOT screen pixels: a 500-node star
  // is fitted at a small zoom, where 5-unit dots would vanish.
  var MIN_DOT = 2.5;
  function radius(n) {
    var r = n.id === centreId ? 9 : (n.listed ? 7 : 5);
    return Math.max(r, (n.id === centreId ? 5 : MIN_DOT) / view.k);
  }

  function draw() {
    var dpr = window.devicePixelRatio || 1;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.setTransform(dpr * view.k, 0, 0, dpr * view.k, dpr * view.x, dpr * view.y);
    var many = current.nodes.size > 120;
    groupBy(current.edges, function (e) { return pathEdges.has(e.id) ? null : (COLOURS[e.type] || "#9aa5b1"); })
      .forEach(function (list, colour) { strokeLinks(list, colour, 1.2, many ? 0.35 : 0.7, !many); });
    var onPath = current.edges.filter(function (e) { return pathEdges.has(e.id); });
    if (onPath.length) { strokeLinks(onPath, "#f28c00", 3.5, 1, true); }
    ctx.globalAlpha = 1;
    var showListed = !hlListed || hlListed.checked;
    var shown = current.list;
    groupBy(shown, function (n) {
      return n.id === centreId ? "#0b2a4a" : (n.listed && showListed ? "#c0262d" : (n.expanded ? "#4f6478" : "#8a97a6"));
    }).forEach(function (list, colour) {
      ctx.fillStyle = colour;
      ctx.beginPath();
      list.forEach(function (n) { var r = radius(n); ctx.moveTo(n.x + r, n.y); ctx.arc(n.x, n.y, r, 0, Math.PI * 2); });
      ctx.fill();
    });
    var ringed = shown.filter(function (n) { return pathNodes.has(n.id); });
    if (ringed.length) {
      ctx.lineWidth = 3 / view.k; ctx.strokeStyle = "#f28c00"; ctx.beginPath();
      ringed.forEach(function (n) { var r = radius(n); ctx.moveTo(n.x + r, n.y); ctx.arc(n.x, n.y, r, 0, Math.PI * 2); });
      ctx.stroke();
    }
    var sel = selected && current.nodes.has(selected) ? nodes.get(selected) : null;
    if (sel) {
      ctx.lineWidth = 3 / view.k; ctx.strokeStyle = "#f2a900"; ctx.beginPath();
      ctx.arc(sel.x, sel.y, radius(sel) + 4, 0, Math.PI * 2); ctx.stroke();
    }
    ctx.fillStyle = "#1b1f24";
    var plain = (11 / view.k) + "px DejaVu Sans, sans-serif";
    ctx.font = plain;
    shown.forEach(function (n) {
      var id = n.id;
      if (!many || id === centreId || id === selected || (n.listed && showListed) || pathNodes.has(id) || view.k > 1.6) {
        if (id === centreId) { ctx.font = "bold " + plain; }
        var label = n.caption.length > 34 ? n.caption.slice(0, 33) + "…" : n.caption;
        ctx.fillText(label, n.x + radius(n) + 3, n.y + 4);
        if (id === centreId) { ctx.font = plain; }
      }
    });
  }

  // ------------------------------------------------------------------ interaction

  function toWorld(ev) {
    var rect = canvas.getBoundingClientRect();
    return { x: (ev.clientX - rect.left - view.x) / view.k, y: (ev.clientY - rect.top - view.y) / view.k };
  }
  function hit(p) {
    var best = null, bestD = 14 / view.k;
    current.nodes.forEach(function (id) {
      var n = nodes.get(id);
      if (!n) { return; }
      var d = Math.hypot(n.x - p.x, n.y - p.y);
      if (d < bestD) { best = n; bestD = d; }
    });
    return best;
  }

  function select(id) {
    selected = id;
    var n = nodes.get(id);
    if (infoEl) {
      infoEl.textContent = n ? (n.caption + " · " + n.schema + (n.listed ? " · listed" : "") +
        " · " + n.degree + " links · " + (n.datasets || []).join(", ")) : "";
    }
    canvas.dataset.selected = id || "";
    computePath(current);
    draw();
  }

  function expand(id) {
    var n = nodes.get(id);
    if (!n || n.expanded || loading) { return Promise.resolve(); }
    return fetchNeighbours([id]).then(function () { n.expanded = true; refresh(); });
  }

  var drag = null, pan = null, moved = false;
  canvas.addEventListener("mousedown", function (ev) {
    var p = toWorld(ev), n = hit(p);
    moved = false;
    if (n) { drag = n; n.fixed = true; select(n.id); }
    else { pan = { x: ev.clientX - view.x, y: ev.clientY - view.y }; }
  });
  window.addEventListener("mousemove", function (ev) {
    if (drag) { autoFit = false; var p = toWorld(ev); drag.x = p.x; drag.y = p.y; moved = true; reheat(0.2); }
    else if (pan) { autoFit = false; view.x = ev.clientX - pan.x; view.y = ev.clientY - pan.y; moved = true; draw(); }
  });
  window.addEventListener("mouseup", function () {
    if (drag) { drag.fixed = moved; }
    drag = null; pan = null;
  });
  canvas.addEventListener("dblclick", function (ev) {
    var n = hit(toWorld(ev));
    if (n) { expand(n.id); }
  });
  canvas.addEventListener("wheel", function (ev) {
    ev.preventDefault();
    autoFit = false;
    var rect = canvas.getBoundingClientRect();
    var mx = ev.clientX - rect.left, my = ev.clientY - rect.top;
    var k = Math.min(6, Math.max(MIN_ZOOM, view.k * (ev.deltaY < 0 ? 1.15 : 1 / 1.15)));
    view.x = mx - (mx - view.x) * k / view.k; view.y = my - (my - view.y) * k / view.k; view.k = k;
    draw();
  }, { passive: false });

  // Arrow keys move the selection to the nearest node in that direction.
  canvas.addEventListener("keydown", function (ev) {
    var dirs = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    var cur = nodes.get(selected || centreId);
    if (dirs[ev.key] && cur) {
      ev.preventDefault();
      var dx = dirs[ev.key][0], dy = dirs[ev.key][1], best = null, bestScore = Infinity;
      current.nodes.forEach(function (id) {
        var n = nodes.get(id);
        if (!n || n === cur) { return; }
        var vx = n.x - cur.x, vy = n.y - cur.y;
        var along = vx * dx + vy * dy;
        if (along <= 0) { return; }
        var across = Math.abs(vx * dy - vy * dx);
        var score = along + 2 * across;
        if (score < bestScore) { bestScore = score; best = n; }
      });
      if (best) { select(best.id); }
    } else if (ev.key === "Enter" && cur) {
      ev.preventDefault(); expand(cur.id);
    } else if ((ev.key === "o" || ev.key === "O") && cur) {
      window.location.href = profileBase + encodeURIComponent(cur.id);
    } else if (ev.key === "+" || ev.key === "=") {
      autoFit = false; view.k = Math.min(6, view.k * 1.2); draw();
    } else if (ev.key === "-") {
      autoFit = false; view.k = Math.max(MIN_ZOOM, view.k / 1.2); draw();
    } else if (ev.key === "0") {
      autoFit = true; fit(); draw();
    }
  });

  var expandBtn = document.getElementById("expand-selected");
  if (expandBtn) { expandBtn.addEventListener("click", function () { expand(selected || centreId); }); }
  var openBtn = document.getElementById("open-selected");
  if (openBtn) { openBtn.addEventListener("click", function () { window.location.href = profileBase + encodeURIComponent(selected || centreId); }); }
  if (dateEl) { dateEl.addEventListener("change", function () { refresh(); reheat(0.3); }); }
  var clearBtn = document.getElementById("net-date-clear");
  if (clearBtn) { clearBtn.addEventListener("click", function () { dateEl.value = ""; refresh(); reheat(0.3); }); }
  [hlListed, hlPath].forEach(function (el) { if (el) { el.addEventListener("change", function () { refresh(); }); } });
  window.addEventListener("resize", resize);

  resize();
  select(centreId);
  fetchNeighbours([centreId]).then(function () {
    var c = nodes.get(centreId);
    if (c) { c.expanded = true; c.x = canvas.clientWidth / 2; c.y = canvas.clientHeight / 2; }
    refresh();
    select(centreId);
  });
  window.dualtraceNetwork = { expand: expand, select: select, nodes: nodes, edges: edges };
})();
