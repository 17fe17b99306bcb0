/**
 * The page's only script: on hover, a cursor line and each series' value at that x, read from the
 * chart's data-tip (see svg-chart.ts). The charts are whole without it.
 */
export const TOOLTIP_SCRIPT = `(function () {
  var tip = document.getElementById("tip");
  function duration(s) {
    var units = [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]];
    var whole = Math.round(s);
    for (var i = 0; i < units.length; i++) {
      if (whole >= units[i][1]) {
        var major = Math.floor(whole / units[i][1]);
        var next = units[i + 1];
        var minor = next ? Math.floor((whole - major * units[i][1]) / next[1]) : 0;
        return major + units[i][0] + (minor > 0 ? " " + minor + next[0] : "");
      }
    }
    return s > 0 ? s.toFixed(1) + "s" : "0s";
  }
  function xText(x, format) {
    if (format.x === "wait") return "wait \\u2264 " + duration(x);
    var text = "+" + duration(x);
    if (format.startMs !== undefined) {
      text += " \\u00b7 " + new Date(format.startMs + x * 1000).toISOString().slice(0, 16).replace("T", " ") + " UTC";
    }
    return text;
  }
  function yText(y, format) {
    if (format.y === "usd") return "$" + y.toFixed(y < 1 ? 4 : 2);
    if (format.y === "share") return (y * 100).toFixed(1) + "%";
    return String(y);
  }
  /* The value holding at x: the last point at or before it. */
  function valueAt(points, x) {
    var low = 0, high = points.length - 1;
    if (high < 0 || points[0][0] > x) return undefined;
    while (low < high) {
      var middle = Math.ceil((low + high) / 2);
      if (points[middle][0] <= x) low = middle; else high = middle - 1;
    }
    return points[low][1];
  }
  function hide(svg) {
    tip.hidden = true;
    svg.querySelector(".cursor").setAttribute("visibility", "hidden");
  }
  document.querySelectorAll("svg[data-tip]").forEach(function (svg) {
    var data = JSON.parse(svg.getAttribute("data-tip"));
    var left = data.plot[0], top = data.plot[1], width = data.plot[2], height = data.plot[3];
    var cursor = svg.querySelector(".cursor");
    svg.addEventListener("pointermove", function (event) {
      var matrix = svg.getScreenCTM();
      if (!matrix || data.series.length === 0) return;
      var p = new DOMPoint(event.clientX, event.clientY).matrixTransform(matrix.inverse());
      var f = (p.x - left) / width;
      if (f < 0 || f > 1 || p.y < top || p.y > top + height) return hide(svg);
      var x = data.x.kind === "log" ? Math.expm1(f * Math.log1p(data.x.max)) : f * data.x.max;
      tip.replaceChildren();
      var head = document.createElement("div");
      head.className = "tip-x";
      head.textContent = xText(x, data.format);
      tip.appendChild(head);
      var total = 0;
      data.series.forEach(function (series) {
        var value = valueAt(series.points, x);
        if (value === undefined) return;
        total += value;
        var row = document.createElement("div");
        var swatch = document.createElement("span");
        swatch.className = "chip";
        swatch.style.background = series.color;
        row.appendChild(swatch);
        row.appendChild(document.createTextNode(series.name + ": " + yText(value, data.format)));
        tip.appendChild(row);
      });
      if (data.stacked) {
        var sum = document.createElement("div");
        sum.className = "tip-total";
        sum.textContent = "total: " + yText(total, data.format);
        tip.appendChild(sum);
      }
      cursor.setAttribute("x1", p.x);
      cursor.setAttribute("x2", p.x);
      cursor.setAttribute("visibility", "visible");
      tip.hidden = false;
      var room = document.documentElement.clientWidth - event.clientX;
      tip.style.left = (room < tip.offsetWidth + 24 ? event.pageX - tip.offsetWidth - 14 : event.pageX + 14) + "px";
      tip.style.top = event.pageY + 14 + "px";
    });
    svg.addEventListener("pointerleave", function () { hide(svg); });
  });
})();`;
