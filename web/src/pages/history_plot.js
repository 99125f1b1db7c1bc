// The history plot, loaded only when the History view opens (uPlot is the
// largest piece of the UI): the score on the left axis, findings per severity
// on the right, over time.
import uPlot from 'uplot';

const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

export function drawHistory(el, series) {
  const axis = { stroke: css('--fg-muted'), grid: { stroke: css('--line') }, ticks: { stroke: css('--line') } };
  const line = (label, color, scale) => ({ label, stroke: color, width: 2, scale, points: { show: true, size: 5 } });
  const options = {
    width: Math.max(280, el.clientWidth),
    height: 260,
    scales: { x: { time: true }, score: { range: [0, 100] }, n: { range: (u, lo, hi) => [0, Math.max(5, hi)] } },
    axes: [
      { ...axis },
      { ...axis, scale: 'score', label: 'score' },
      { ...axis, scale: 'n', side: 1, label: 'findings', grid: { show: false } },
    ],
    series: [
      {},
      line('Score', css('--accent'), 'score'),
      line('Critical', css('--sev-critical'), 'n'),
      line('High', css('--sev-high'), 'n'),
      line('Medium', css('--sev-medium'), 'n'),
      line('Low', css('--sev-low'), 'n'),
    ],
  };
  const plot = new uPlot(options, [series.x, series.score, series.critical, series.high, series.medium, series.low], el);
  const resize = () => plot.setSize({ width: Math.max(280, el.clientWidth), height: 260 });
  addEventListener('resize', resize);
  return () => {
    removeEventListener('resize', resize);
    plot.destroy();
  };
}
