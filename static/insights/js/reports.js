import { chartFromTable } from "./charts.js";

for (const figure of document.querySelectorAll("figure[data-chart-table]")) {
  const table = document.getElementById(figure.dataset.chartTable);
  if (table) figure.replaceChildren(chartFromTable(table));
}
