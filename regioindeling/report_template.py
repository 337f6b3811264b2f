"""The HTML shell of the per-gemeente report: inline CSS, no scripts, no external resources, A4 print rules."""

from string import Template

TEMPLATE = Template("""<!DOCTYPE html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="regioindeling">
<title>$title</title>
<style>
  :root { --ink: #1d2733; --muted: #5b6675; --line: #d5dbe3; --accent: #1f5f99; --bad: #a3261b; --good: #1c6b3a; }
  * { box-sizing: border-box; }
  body { font-family: "Segoe UI", "Helvetica Neue", Arial, sans-serif; color: var(--ink); margin: 0 auto;
         max-width: 1060px; padding: 24px 28px; line-height: 1.45; font-size: 14px; }
  h1 { font-size: 24px; margin: 0 0 4px; }
  h2 { font-size: 17px; margin: 22px 0 8px; border-bottom: 2px solid var(--accent); padding-bottom: 3px; }
  .sub { color: var(--muted); margin: 0 0 14px; font-size: 12.5px; }
  .summary { background: #f2f6fa; border-left: 4px solid var(--accent); padding: 10px 14px; margin: 12px 0; }
  .summary p { margin: 4px 0; }
  .maps { display: grid; grid-template-columns: repeat(3, 1fr); gap: 10px; }
  figure { margin: 0; border: 1px solid var(--line); border-radius: 4px; padding: 6px; break-inside: avoid; }
  figcaption { font-weight: 600; font-size: 13px; margin-bottom: 4px; }
  figure svg { width: 100%; height: auto; display: block; background: #fbfcfd; }
  .legend { font-size: 11.5px; color: var(--muted); margin-top: 4px; }
  .legend span { display: inline-block; margin-right: 8px; white-space: nowrap; }
  .legend i { display: inline-block; width: 10px; height: 10px; margin-right: 3px; border: 1px solid #666; vertical-align: -1px; }
  table { border-collapse: collapse; width: 100%; margin: 6px 0 10px; break-inside: avoid; font-size: 13px; }
  th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
  th { background: #eef2f6; font-weight: 600; }
  td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
  .bad { color: var(--bad); font-weight: 600; }
  .good { color: var(--good); font-weight: 600; }
  ul { margin: 4px 0 8px 18px; padding: 0; }
  .foot { color: var(--muted); font-size: 11.5px; margin-top: 18px; border-top: 1px solid var(--line); padding-top: 6px; }
  @media (max-width: 760px) { .maps { grid-template-columns: 1fr; } }
  @page { size: A4 portrait; margin: 14mm 12mm; }
  @media print {
    body { max-width: none; padding: 0; font-size: 10.5pt; }
    h1 { font-size: 17pt; }
    h2 { font-size: 12.5pt; break-after: avoid; }
    .maps { grid-template-columns: repeat(3, 1fr); gap: 4mm; }
    figure, table, .summary { break-inside: avoid; }
    a { color: inherit; text-decoration: none; }
  }
</style>
</head>
<body>
<header>
  <h1>$title</h1>
  <p class="sub">$subtitle</p>
</header>
<section class="summary" id="summary">
$summary
</section>
<h2>Kaart: vandaag en in het voorstel</h2>
<div class="maps">
$maps
</div>
<h2>Wat verandert er voor $gemeente_name</h2>
$changes
<h2>Waarom</h2>
$why
<h2>Kerncijfers voor $gemeente_name</h2>
$kpis
<h2>Het nieuwe samenwerkingsverband</h2>
$swvs
$violations
<p class="foot">$foot</p>
</body>
</html>
""")
