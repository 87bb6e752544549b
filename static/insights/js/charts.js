// A tiny SVG bar chart, an ES module with no dependencies: grouped bars per
// row, one series per numeric column. Colours come from CSS classes
// (bar-<series>), so nothing here needs an inline style under the CSP.
const SVG = "http://www.w3.org/2000/svg";

function el(name, attrs = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function niceMax(value) {
  if (value <= 5) return 5;
  const step = 10 ** Math.floor(Math.log10(value));
  return Math.ceil(value / step) * step;
}

// labels: ["2025-01-01", …]; series: [{name, values: [n, …]}, …]
export function barChart({ labels, series, width = 640, height = 240, title = "" }) {
  const margin = { top: 24, right: 8, bottom: 36, left: 36 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values)));
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title });
  svg.append(el("title", {}, title));
  const band = plotW / Math.max(1, labels.length);
  const barW = Math.max(1, (band * 0.8) / Math.max(1, series.length));
  for (const tick of [0, max / 2, max]) {
    const y = margin.top + plotH - (tick / max) * plotH;
    svg.append(el("line", { class: "axis", x1: margin.left, x2: width - margin.right, y1: y, y2: y }));
    svg.append(el("text", { x: margin.left - 4, y: y + 4, "text-anchor": "end" }, String(Math.round(tick))));
  }
  labels.forEach((label, i) => {
    series.forEach((s, j) => {
      const value = s.values[i] || 0;
      const h = (value / max) * plotH;
      const x = margin.left + i * band + band * 0.1 + j * barW;
      const bar = el("rect", { class: `bar-${s.name}`, x, y: margin.top + plotH - h, width: barW, height: h });
      bar.append(el("title", {}, `${label} ${s.label || s.name}: ${value}`));
      svg.append(bar);
    });
    // Every label when few, else about a dozen.
    const every = Math.ceil(labels.length / 12);
    if (i % every === 0) {
      svg.append(el("text", { x: margin.left + i * band + band / 2, y: height - margin.bottom + 14, "text-anchor": "middle" }, label.length > 5 ? label.slice(5) : label));
    }
  });
  series.forEach((s, j) => {
    svg.append(el("rect", { class: `bar-${s.name}`, x: margin.left + j * 90, y: 6, width: 10, height: 10 }));
    svg.append(el("text", { x: margin.left + j * 90 + 14, y: 15 }, s.label || s.name));
  });
  return svg;
}

// Reads the accessible table the chart stands beside: the numbers are the table's.
export function chartFromTable(table) {
  // The column headings name the series in the page's language.
  const headings = [...table.querySelectorAll("thead th[data-series]")];
  const rows = [...table.querySelectorAll("tbody tr")];
  const labels = rows.map((row) => row.querySelector("th").textContent.trim());
  const series = headings.map((th, index) => ({
    name: th.dataset.series,
    label: th.textContent.trim(),
    values: rows.map((row) => Number(row.querySelectorAll("td")[index]?.textContent) || 0),
  }));
  const caption = table.closest("section")?.querySelector("h2")?.textContent || "";
  return barChart({ labels, series, title: caption });
}
